//! Which images `images` lists: `--filter reference=PATTERN` (what `docker images
//! REPOSITORY[:TAG]` sends too), `label=KEY[=VALUE]` and `dangling=true|false`, as moby's image
//! list decides them (daemon/images/image_list.go). A reference pattern is Go's `path.Match`
//! against a tag's familiar `name:tag`, or failing that its `name` (distribution's
//! `reference.FamiliarMatch`), so `*` stops at a `/`: `images '*'` lists `alpine`, not `lab/app`.

use crate::model::run_flags::labels_match;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// The filters of one listing; the default lists every tagged image under all its tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFilter {
    references: Vec<String>,
    labels: Vec<String>,
    dangling: Option<bool>,
}

impl ImageFilter {
    /// From `key=value` pairs (`--filter`, or the Engine API's `filters`). An unknown key, or a
    /// `dangling` other than true or false, is refused with the filters there are.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ImageFilter> {
        let mut filter = ImageFilter::default();
        for (key, value) in pairs {
            match (key, value) {
                ("reference", pattern) => filter.references.push(pattern.to_string()),
                ("label", wanted) => filter.labels.push(wanted.to_string()),
                ("dangling", "true" | "1") => filter.dangling = Some(true),
                ("dangling", "false" | "0") => filter.dangling = Some(false),
                _ => {
                    return Err(Error::invalid(
                        "filter",
                        format!("{key}={value}"),
                        "supported: reference=PATTERN, label=KEY[=VALUE], dangling=true|false",
                    ));
                }
            }
        }
        Ok(filter)
    }

    /// The tags (familiar `name:tag`) under which an image with `tags` and `labels` is listed:
    /// those a reference pattern matches, or all when there is no pattern; empty when the
    /// image is not listed. Only tagged images are listed here — an untagged one is garbage
    /// the next prune sweeps (`engine::gc`) — so `dangling=true` lists none.
    pub fn shown_tags<'t>(
        &self,
        tags: &'t [String],
        labels: &BTreeMap<String, String>,
    ) -> Vec<&'t String> {
        if self.dangling == Some(true) || !self.labels.iter().all(|w| labels_match(labels, w)) {
            return Vec::new();
        }
        let wanted = |tag: &&String| {
            self.references.is_empty() || self.references.iter().any(|p| familiar_match(p, tag))
        };
        tags.iter().filter(wanted).collect()
    }
}

/// distribution's `reference.FamiliarMatch`: `pattern` against `name:tag`, then `name` alone.
fn familiar_match(pattern: &str, familiar: &str) -> bool {
    let name = familiar
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/')) // `host:5000/app` has a port, not a tag
        .map_or(familiar, |(name, _)| name);
    path_match(pattern, familiar) || path_match(pattern, name)
}

/// Go's `path.Match`: the pattern's `/`-separated parts match the name's one for one, each a
/// glob (`*`, `?`, `[a-z]`) within its part.
fn path_match(pattern: &str, name: &str) -> bool {
    let (pattern, name): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), name.split('/').collect());
    pattern.len() == name.len()
        && (pattern.iter().zip(&name)).all(|(p, n)| super::build::glob::glob(p, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(filters: &[(&str, &str)], tags: &[&str]) -> Vec<String> {
        let filter = ImageFilter::parse(filters.iter().copied()).unwrap();
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let labels = BTreeMap::from([("tier".to_string(), "web".to_string())]);
        let shown = filter.shown_tags(&tags, &labels);
        shown.into_iter().cloned().collect()
    }

    #[test]
    fn a_reference_pattern_matches_name_tag_or_name_and_star_stops_at_a_slash() {
        let tags = [
            "alpine:latest",
            "lab/app:v1",
            "lab/app:v2",
            "127.0.0.1:5000/app:1",
        ];
        assert_eq!(shown(&[("reference", "alpine")], &tags), ["alpine:latest"]);
        assert_eq!(shown(&[("reference", "lab/app:v2")], &tags), ["lab/app:v2"]);
        assert_eq!(shown(&[("reference", "*")], &tags), ["alpine:latest"]);
        assert_eq!(
            shown(&[("reference", "lab/*")], &tags),
            ["lab/app:v1", "lab/app:v2"]
        );
        assert_eq!(shown(&[("reference", "*:v?")], &tags), Vec::<String>::new());
        assert_eq!(
            shown(&[("reference", "127.0.0.1:5000/app")], &tags),
            ["127.0.0.1:5000/app:1"]
        );
        assert_eq!(shown(&[], &tags).len(), 4);
    }

    #[test]
    fn labels_and_dangling_pick_whole_images_and_unknown_filters_are_refused() {
        let tags = ["alpine:latest"];
        assert_eq!(shown(&[("label", "tier=web")], &tags).len(), 1);
        assert!(shown(&[("label", "tier=db")], &tags).is_empty());
        assert!(shown(&[("dangling", "true")], &tags).is_empty());
        assert_eq!(shown(&[("dangling", "false")], &tags).len(), 1);
        let err = ImageFilter::parse([("before", "alpine")]).unwrap_err();
        assert!(err.to_string().contains("reference=PATTERN"), "{err}");
        assert!(ImageFilter::parse([("dangling", "maybe")]).is_err());
    }
}
