//! Per-layer progress bars like `docker pull`'s, drawn only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of per-blob progress bars on stderr (hidden when stderr is not a terminal: logs and
/// tests get no escape codes).
pub struct Progress {
    bars: MultiProgress,
}

impl Progress {
    /// Visible bars when `visible` and stderr is a terminal (isatty(3)), hidden otherwise.
    pub fn new(visible: bool) -> Progress {
        let target = if visible && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            bars: MultiProgress::with_draw_target(target),
        }
    }

    /// A bar for one blob: `1a2b3c4d5e6f: Downloading [=====>    ] 1.20 MiB/3.40 MiB`.
    pub fn blob(&self, digest: &str, size: u64) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new(size));
        let style =
            ProgressStyle::with_template("{prefix}: {msg:12} [{bar:30}] {bytes}/{total_bytes}")
                .expect("valid template")
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(short_id(digest).to_string());
        bar.set_message("Waiting");
        bar
    }

    /// Whether anything is drawn.
    pub fn is_visible(&self) -> bool {
        !self.bars.is_hidden()
    }
}

/// The 12 hex digits Docker shows for a digest.
pub fn short_id(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    &hex[..hex.len().min(12)]
}
