//! Docker's table layout: the Docker CLI writes rows through Go's `text/tabwriter` with a
//! minimum cell width of 10 and a padding of 3 (`cli/command/formatter`): a tab-terminated
//! cell is padded to its column's widest cell plus three spaces, and to at least ten; the
//! last cell of a line is not padded.

/// Renders `rows` under `headers`.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = headers.join("\t");
    text.push('\n');
    for row in rows {
        text += &row.join("\t");
        text.push('\n');
    }
    align(&text)
}

/// Aligns tab-separated lines as Go's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)` does for a
/// table (every line having the same columns).
pub fn align(text: &str) -> String {
    align_min(text, 10)
}

/// [`align`] with another minimum cell width (`docker top` uses 20).
pub fn align_min(text: &str, min_width: usize) -> String {
    const PADDING: usize = 3;
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for cells in &lines {
        // The last cell ends the line, not a column.
        for (i, cell) in cells.iter().take(cells.len().saturating_sub(1)).enumerate() {
            let width = (cell.chars().count() + PADDING).max(min_width);
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(width),
                None => widths.push(width),
            }
        }
    }
    let mut out = String::new();
    for cells in &lines {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(widths[i] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// Cuts `s` to `max` characters with a trailing `…`, as Docker's `Ellipsis`.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut cut: String = s.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// Docker's `HumanSize`: decimal units, 3 significant digits (`4.26MB`, `812kB`).
pub fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < units.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    let digits = if size >= 100.0 {
        0
    } else if size >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{size:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", units[unit])
}

/// go-units' `BytesSize` (`docker stats` memory): binary units, `%.4g` (`1.465MiB`, `64MiB`).
pub fn bytes_size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < units.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    // %.4g: four significant digits, trailing zeros dropped.
    let digits = 3usize.saturating_sub(size.max(1.0).log10().floor() as usize);
    let text = format!("{size:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", units[unit])
}
