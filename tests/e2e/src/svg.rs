//! Small horizontal bar charts as hand-written SVG: one labelled bar per figure, coloured by
//! series, on a linear or logarithmic axis. Start-up times span four orders of magnitude
//! (a clone(2) in microseconds, a VM boot in seconds), so those charts use a log axis.

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The label left of the bar.
    pub label: String,
    /// Its value, in the chart's unit.
    pub value: f64,
    /// Which series (colour, legend entry) it belongs to.
    pub series: usize,
    /// Text right of the bar (e.g. the value with its unit).
    pub note: String,
}

/// How values map to bar lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// From 0 to the largest value.
    Linear,
    /// Decades (…, 0.1, 1, 10, …) spaced evenly; values must be positive.
    Log,
}

/// A bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The title on top.
    pub title: String,
    /// The axis unit, e.g. `ms`.
    pub unit: String,
    /// Linear or log axis.
    pub scale: Scale,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
    /// Legend: a name per series index.
    pub legend: Vec<String>,
    /// A line under the chart saying how the figures were measured.
    pub caption: String,
}

/// Series colours (colour-blind safe, from ColorBrewer's Dark2).
const COLOURS: [&str; 4] = ["#1b9e77", "#7570b3", "#d95f02", "#e7298a"];
const WIDTH: f64 = 930.0;
const LABEL_W: f64 = 400.0;
const PLOT_W: f64 = 380.0;
const ROW_H: f64 = 24.0;
const TOP: f64 = 52.0;

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The axis range and its tick values: decades for a log axis, a round step for a linear one.
pub fn axis(scale: Scale, values: &[f64]) -> (f64, f64, Vec<f64>) {
    let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
    let max = positive.iter().copied().fold(0.0, f64::max);
    match scale {
        Scale::Log => {
            let min = positive.iter().copied().fold(f64::INFINITY, f64::min);
            if positive.is_empty() {
                return (1.0, 10.0, vec![1.0, 10.0]);
            }
            // A value exactly on a decade would get a bar of length 0: start one decade lower.
            let lo = (min.log10() - 1e-9).floor();
            let hi = max.log10().ceil().max(lo + 1.0);
            let ticks = (lo as i32..=hi as i32).map(|e| 10f64.powi(e)).collect();
            (10f64.powf(lo), 10f64.powf(hi), ticks)
        }
        Scale::Linear => {
            let max = if max > 0.0 { max } else { 1.0 };
            let magnitude = 10f64.powf(max.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|m| m * magnitude)
                .find(|s| max / s <= 6.0)
                .unwrap_or(10.0 * magnitude);
            let hi = (max / step).ceil() * step;
            let ticks = (0..=((hi / step).round() as usize))
                .map(|i| i as f64 * step)
                .collect();
            (0.0, hi, ticks)
        }
    }
}

/// Where `value` falls on the plot, 0..=PLOT_W pixels.
fn position(scale: Scale, lo: f64, hi: f64, value: f64) -> f64 {
    let fraction = match scale {
        Scale::Linear => value / hi,
        Scale::Log if value <= 0.0 => 0.0,
        Scale::Log => (value.log10() - lo.log10()) / (hi.log10() - lo.log10()),
    };
    fraction.clamp(0.0, 1.0) * PLOT_W
}

fn tick_label(value: f64) -> String {
    if value >= 1.0 || value == 0.0 {
        format!("{value}")
    } else {
        format!("{value:.prec$}", prec = (-value.log10()).ceil() as usize)
    }
}

/// Renders the chart as a standalone SVG document.
pub fn render(chart: &Chart) -> String {
    let values: Vec<f64> = chart.bars.iter().map(|b| b.value).collect();
    let (lo, hi, ticks) = axis(chart.scale, &values);
    let plot_h = ROW_H * chart.bars.len().max(1) as f64;
    let axis_y = TOP + plot_h;
    let legend_y = axis_y + 40.0;
    let height = legend_y + 44.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
        escape(&chart.title)
    );
    let scale_name = match chart.scale {
        Scale::Linear => "",
        Scale::Log => ", log scale",
    };
    svg.push_str(&format!(
        "<text x=\"{LABEL_W}\" y=\"{}\" fill=\"#555\">{}{scale_name}</text>\n",
        TOP - 10.0,
        escape(&chart.unit)
    ));
    for tick in &ticks {
        let x = LABEL_W + position(chart.scale, lo, hi, *tick);
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{axis_y}\" stroke=\"#ddd\"/>\n\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
            axis_y + 16.0,
            tick_label(*tick)
        ));
    }
    if chart.bars.is_empty() {
        svg.push_str(&format!(
            "<text x=\"{LABEL_W}\" y=\"{:.1}\">no data: not measured on this machine</text>\n",
            TOP + 16.0
        ));
    }
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let w = position(chart.scale, lo, hi, bar.value).max(1.0);
        let colour = COLOURS[bar.series % COLOURS.len()];
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{LABEL_W}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{colour}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            LABEL_W - 8.0,
            y + 16.0,
            escape(&bar.label),
            y + 4.0,
            ROW_H - 8.0,
            LABEL_W + w + 6.0,
            y + 16.0,
            escape(&bar.note)
        ));
    }
    let mut x = 10.0;
    for (i, name) in chart.legend.iter().enumerate() {
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            legend_y - 11.0,
            COLOURS[i % COLOURS.len()],
            x + 18.0,
            legend_y,
            escape(name)
        ));
        x += 30.0 + 7.5 * name.chars().count() as f64;
    }
    svg.push_str(&format!(
        "<text x=\"10\" y=\"{:.1}\" fill=\"#555\" font-size=\"11\">{}</text>\n</svg>\n",
        legend_y + 26.0,
        escape(&chart.caption)
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.into(),
            value,
            series: 0,
            note: format!("{value}"),
        }
    }

    fn widths(svg: &str) -> Vec<f64> {
        svg.lines()
            .filter(|l| l.starts_with(&format!("<rect x=\"{LABEL_W}\"")))
            .map(|l| {
                let w = l.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    fn chart(scale: Scale, bars: Vec<Bar>) -> Chart {
        Chart {
            title: "Start <fast> & small".into(),
            unit: "ms".into(),
            scale,
            bars,
            legend: vec!["ours".into(), "VM".into()],
            caption: "measured with hyperfine".into(),
        }
    }

    #[test]
    fn log_axis_spans_whole_decades_around_the_values() {
        let (lo, hi, ticks) = axis(Scale::Log, &[2.3, 4300.0]);
        assert_eq!((lo, hi), (1.0, 10000.0));
        assert_eq!(ticks, vec![1.0, 10.0, 100.0, 1000.0, 10000.0]);
    }

    #[test]
    fn linear_axis_ends_on_a_round_tick_above_the_largest_value() {
        let (lo, hi, ticks) = axis(Scale::Linear, &[3.0, 47.0]);
        assert_eq!((lo, hi), (0.0, 50.0));
        assert_eq!(ticks.len(), 6);
    }

    #[test]
    fn on_a_log_axis_each_decade_is_the_same_length() {
        let svg = render(&chart(
            Scale::Log,
            vec![bar("a", 10.0), bar("b", 100.0), bar("c", 1000.0)],
        ));
        let w = widths(&svg);
        assert_eq!(w.len(), 3);
        assert!(w[0] > 100.0, "the smallest bar is visible: {w:?}");
        assert!((w[1] - w[0] - (w[2] - w[1])).abs() < 0.2, "{w:?}");
    }

    #[test]
    fn on_a_linear_axis_bars_are_proportional() {
        let w = widths(&render(&chart(
            Scale::Linear,
            vec![bar("a", 25.0), bar("b", 50.0)],
        )));
        assert!((w[1] - 2.0 * w[0]).abs() < 0.2, "{w:?}");
        assert!((w[1] - PLOT_W).abs() < 0.2, "{w:?}");
    }

    #[test]
    fn text_is_escaped_and_every_label_legend_and_caption_appears() {
        let svg = render(&chart(Scale::Log, vec![bar("runc <run>", 19.0)]));
        assert!(svg.contains("Start &lt;fast&gt; &amp; small"));
        assert!(svg.contains("runc &lt;run&gt;"));
        assert!(svg.contains(">ours<") && svg.contains(">VM<"));
        assert!(svg.contains("measured with hyperfine"));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn an_empty_chart_says_nothing_was_measured() {
        let svg = render(&chart(Scale::Log, vec![]));
        assert!(svg.contains("no data: not measured on this machine"));
    }
}
