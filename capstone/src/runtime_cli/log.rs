//! runc's error reporting: one line per message, in `--log` (default stderr), either logrus'
//! text form (`time="…" level=error msg="…"`) or, with `--log-format json`, a JSON object
//! with `level`, `msg` and `time` — containerd's shim reads the last one and shows its `msg`
//! to the user.

use std::io::Write;
use std::path::PathBuf;

/// Where and how messages go.
#[derive(Debug, Clone)]
pub struct Logger {
    file: Option<PathBuf>,
    json: bool,
}

impl Logger {
    /// From the global `--log` and `--log-format`; an unknown format is refused.
    pub fn new(file: Option<PathBuf>, format: Option<&str>) -> Result<Logger, String> {
        let json = match format.unwrap_or("text") {
            "text" => false,
            "json" => true,
            other => return Err(format!("invalid log-format: {other} (use text or json)")),
        };
        Ok(Logger { file, json })
    }

    /// Writes one error line.
    pub fn error(&self, msg: &str) {
        let time = crate::model::clock::now();
        let line = if self.json {
            serde_json::json!({"level": "error", "msg": msg, "time": time}).to_string()
        } else {
            format!("time={time:?} level=error msg={msg:?}")
        };
        let written = self.file.as_ref().is_some_and(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{line}"))
                .is_ok()
        });
        if !written {
            eprintln!("{line}");
        }
    }
}
