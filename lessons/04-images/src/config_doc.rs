//! An image config (OCI image-spec `config.md`) kept as the JSON document it is, for editing:
//! a new image is its base's config with a few fields changed, a diff ID and a history entry
//! appended. Keeping the document (rather than a parsed struct) means the fields this kit does
//! not model — Docker's `Healthcheck`, `OnBuild`, `Shell`, labels of any shape — survive.
//!
//! The process settings live in the inner `config` object (`Env`, `Cmd`, `Entrypoint`,
//! `WorkingDir`, `User`, …), the layers' diff IDs in `rootfs.diff_ids`, one entry per build
//! step in `history`.

use serde_json::{Map, Value, json};

use crate::digest::Digest;
use crate::runconfig::Settings;

/// An image config document being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDoc {
    doc: Value,
}

impl ConfigDoc {
    /// An empty config for this machine's platform (`FROM scratch`): no layers, no settings.
    pub fn scratch() -> ConfigDoc {
        ConfigDoc {
            doc: json!({
                "architecture": "amd64",
                "os": "linux",
                "config": {},
                "rootfs": { "type": "layers", "diff_ids": [] },
                "history": [],
            }),
        }
    }

    /// Wraps a stored config document (see [`crate::Image::config_json`]).
    pub fn from_json(doc: Value) -> ConfigDoc {
        let mut doc = ConfigDoc { doc };
        if !doc.doc.is_object() {
            doc.doc = ConfigDoc::scratch().doc;
        }
        doc
    }

    /// The document, ready to be stored as the config blob.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.doc).expect("a JSON value serialises")
    }

    /// One field of the process settings (`Env`, `Cmd`, `Healthcheck`, …), if set.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.doc["config"].get(field).filter(|v| !v.is_null())
    }

    /// A string field of the process settings (`User`, `WorkingDir`), empty if unset.
    pub fn string(&self, field: &str) -> String {
        self.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// A list-of-strings field of the process settings (`Env`, `Cmd`, `Shell`, `OnBuild`).
    pub fn strings(&self, field: &str) -> Vec<String> {
        let items = self.get(field).and_then(Value::as_array);
        items
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets a field of the process settings (`Value::Null` writes an explicit `null`, which
    /// Docker uses for "reset", e.g. `Cmd` after an `ENTRYPOINT`).
    pub fn set(&mut self, field: &str, value: Value) {
        self.process().insert(field.to_string(), value);
    }

    /// Removes a field of the process settings.
    pub fn remove(&mut self, field: &str) {
        self.process().remove(field);
    }

    /// Adds `key: value` to an object field of the process settings (`Labels`,
    /// `ExposedPorts`, `Volumes`), creating it if needed.
    pub fn insert_into(&mut self, field: &str, key: &str, value: Value) {
        let process = self.process();
        if !process.get(field).is_some_and(Value::is_object) {
            process.insert(field.to_string(), json!({}));
        }
        let map = process[field]
            .as_object_mut()
            .expect("made an object above");
        map.insert(key.to_string(), value);
    }

    /// The settings a container of this image starts with ([`Settings`]).
    pub fn settings(&self) -> Settings {
        Settings {
            entrypoint: self.strings("Entrypoint"),
            cmd: self.strings("Cmd"),
            env: self.strings("Env"),
            working_dir: self.string("WorkingDir"),
            user: self.string("User"),
        }
    }

    /// Writes `settings` as the process settings: what `docker commit` records of a
    /// container. Empty entrypoint, command, working directory and user are left out.
    pub fn set_settings(&mut self, settings: &Settings) {
        self.set("Env", json!(settings.env));
        let fields = [
            (
                "Entrypoint",
                json!(settings.entrypoint),
                settings.entrypoint.is_empty(),
            ),
            ("Cmd", json!(settings.cmd), settings.cmd.is_empty()),
            (
                "WorkingDir",
                json!(settings.working_dir),
                settings.working_dir.is_empty(),
            ),
            ("User", json!(settings.user), settings.user.is_empty()),
        ];
        for (field, value, empty) in fields {
            if empty {
                self.remove(field);
            } else {
                self.set(field, value);
            }
        }
    }

    /// Sets the image's `author` (Dockerfile `MAINTAINER`).
    pub fn set_author(&mut self, author: &str) {
        self.doc["author"] = json!(author);
    }

    /// Sets when the image was made (`created`, RFC 3339); history entries added after this
    /// carry the same time.
    pub fn set_created(&mut self, rfc3339: &str) {
        self.doc["created"] = json!(rfc3339);
    }

    /// Appends a layer's diff ID to `rootfs.diff_ids`.
    pub fn push_diff_id(&mut self, diff_id: &Digest) {
        // A config from a registry is untrusted: `"rootfs": 1` must not panic the indexing
        // below (found by the `config_json` fuzz target). Such a rootfs lists no layers.
        if !self.doc["rootfs"].is_object() {
            self.doc["rootfs"] = json!({ "type": "layers", "diff_ids": [] });
        }
        push(
            &mut self.doc["rootfs"]["diff_ids"],
            json!(diff_id.to_string()),
        );
    }

    /// The layers' diff IDs, bottom first, as written.
    pub fn diff_ids(&self) -> Vec<String> {
        let items = self.doc["rootfs"]["diff_ids"].as_array();
        items
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Appends a `history` entry: what made the next layer, or (with `empty_layer`) a step
    /// that changed only the config.
    pub fn add_history(&mut self, created_by: &str, empty_layer: bool) {
        let mut entry = json!({ "created_by": created_by });
        if let Some(created) = self.doc.get("created").filter(|c| c.is_string()) {
            entry["created"] = created.clone();
        }
        if empty_layer {
            entry["empty_layer"] = json!(true);
        }
        push(&mut self.doc["history"], entry);
    }

    /// Sets the `comment` of the newest `history` entry (what `docker commit -m` writes).
    pub fn set_last_history_comment(&mut self, comment: &str) {
        let history = self.doc["history"].as_array_mut();
        if let Some(entry) = history.and_then(|h| h.last_mut()?.as_object_mut()) {
            entry.insert("comment".into(), json!(comment));
        }
    }

    /// The process settings object, created if missing.
    fn process(&mut self) -> &mut Map<String, Value> {
        if !self.doc["config"].is_object() {
            self.doc["config"] = json!({});
        }
        self.doc["config"]
            .as_object_mut()
            .expect("made an object above")
    }
}

fn push(list: &mut Value, item: Value) {
    match list.as_array_mut() {
        Some(items) => items.push(item),
        None => *list = json!([item]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_of_the_wrong_shape_still_takes_a_layer_and_a_history_entry() {
        // Found by the `config_json` fuzz target: indexing `"rootfs": "x"` panicked.
        let mut doc = ConfigDoc::from_json(json!({ "config": 5, "rootfs": "x", "history": {} }));
        let layer = Digest::of(b"layer");
        doc.push_diff_id(&layer);
        doc.add_history("step", false);
        doc.set("Cmd", json!(["sh"]));
        assert_eq!(doc.diff_ids(), [layer.to_string()]);
        assert_eq!(doc.settings().cmd, ["sh"]);
    }

    #[test]
    fn numbers_survive_being_read_and_written() {
        // Found by the `config_json` fuzz target: without serde_json's `float_roundtrip`
        // this number came back one bit off.
        let text = br#"{"config":{},"x":500630476306304311e88}"#;
        let doc = ConfigDoc::from_json(serde_json::from_slice(text).unwrap());
        let again = ConfigDoc::from_json(serde_json::from_slice(&doc.to_bytes()).unwrap());
        assert_eq!(again, doc);
    }

    #[test]
    fn fields_we_do_not_model_survive_an_edit() {
        let mut doc = ConfigDoc::from_json(json!({
            "architecture": "amd64", "os": "linux",
            "config": { "Healthcheck": { "Test": ["CMD", "true"] }, "Cmd": ["sh"] },
            "rootfs": { "type": "layers", "diff_ids": [] },
        }));
        doc.set("Cmd", json!(["true"]));
        doc.insert_into("Labels", "a", json!("b"));
        doc.set_created("2026-01-02T03:04:05Z");
        doc.add_history("step", true);
        let back: Value = serde_json::from_slice(&doc.to_bytes()).unwrap();
        assert_eq!(back["config"]["Healthcheck"]["Test"][1], "true");
        assert_eq!(back["config"]["Cmd"], json!(["true"]));
        assert_eq!(back["config"]["Labels"]["a"], "b");
        assert_eq!(
            back["history"],
            json!([{ "created_by": "step", "created": "2026-01-02T03:04:05Z", "empty_layer": true }])
        );
    }

    #[test]
    fn settings_round_trip_and_empty_ones_are_left_out() {
        let mut doc = ConfigDoc::scratch();
        doc.set("Entrypoint", json!(["old"]));
        let settings = Settings {
            entrypoint: vec![],
            cmd: vec!["sh".into()],
            env: vec!["A=1".into()],
            working_dir: "/w".into(),
            user: String::new(),
        };
        doc.set_settings(&settings);
        assert_eq!(doc.settings(), settings);
        assert_eq!(doc.get("Entrypoint"), None);
        assert_eq!(doc.get("User"), None);
    }
}
