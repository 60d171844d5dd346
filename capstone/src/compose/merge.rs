//! Several `-f` files merged in order, each later one overriding the earlier (the Compose
//! Specification's "Merge and override" rules, on files already in long syntax):
//! - a scalar replaces (`image`, `restart`, …), and so does a command (`command`,
//!   `entrypoint`, `healthcheck.test`: a list there is one value, not a set);
//! - a mapping merges key by key (`environment`, `labels`, `networks`, `depends_on`, `build`…);
//! - `volumes` merge by mount target: a later mount of the same path replaces the earlier;
//! - every other list (`ports`, `expose`, `dns`, `cap_add`, …) is appended, without duplicates.

use yaml_serde::Value;

/// Lists that are one value and so are replaced whole.
const REPLACED: &[&str] = &["command", "entrypoint", "test"];

/// Merges `over` into `base`.
pub fn merge(base: &mut Value, over: Value) {
    merge_at(base, over, "")
}

// ANCHOR: merge_at
fn merge_at(base: &mut Value, over: Value, key: &str) {
    match (base, over) {
        (Value::Mapping(base), Value::Mapping(over)) => {
            for (k, v) in over {
                let name = k.as_str().unwrap_or("").to_string();
                match base.get_mut(&k) {
                    Some(slot) => merge_at(slot, v, &name),
                    None => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (Value::Sequence(base), Value::Sequence(over)) if !REPLACED.contains(&key) => {
            for item in over {
                if key == "volumes"
                    && let Some(i) = base
                        .iter()
                        .position(|b| b.get("target") == item.get("target"))
                {
                    base[i] = item;
                } else if !base.contains(&item) {
                    base.push(item);
                }
            }
        }
        (base, over) => *base = over,
    }
}
// ANCHOR_END: merge_at

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        yaml_serde::from_str(text).unwrap()
    }

    #[test]
    fn later_files_override_scalars_and_merge_mappings() {
        let mut base =
            yaml("services: {web: {image: a, environment: {A: '1', B: '2'}, command: [x, y]}}");
        merge(
            &mut base,
            yaml(
                "services: {web: {image: b, environment: {B: '3'}, command: [z]}, db: {image: pg}}",
            ),
        );
        let web = &base["services"]["web"];
        assert_eq!(web["image"], Value::from("b"));
        assert_eq!(web["environment"]["A"], Value::from("1"));
        assert_eq!(web["environment"]["B"], Value::from("3"));
        assert_eq!(web["command"], yaml("[z]"));
        assert_eq!(base["services"]["db"]["image"], Value::from("pg"));
    }

    #[test]
    fn lists_append_and_volumes_merge_by_target() {
        let mut base =
            yaml("{ports: [{target: 80}], volumes: [{type: volume, source: a, target: /d}]}");
        merge(
            &mut base,
            yaml(
                "{ports: [{target: 80}, {target: 443}], volumes: [{type: volume, source: b, target: /d}]}",
            ),
        );
        assert_eq!(base["ports"], yaml("[{target: 80}, {target: 443}]"));
        assert_eq!(
            base["volumes"],
            yaml("[{type: volume, source: b, target: /d}]")
        );
    }
}
