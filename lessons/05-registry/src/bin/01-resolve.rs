//! Step 1: resolve a name — what `alpine` really means.
//!
//! Run: `cargo run -p registry --bin 01-resolve -- alpine nginx:1.27 ghcr.io/o/app@sha256:… Alpine`
//! Look for: the registry, repository and tag Docker fills in (`docker.io`, `library/`,
//! `latest`), the URL a client will request, and the reason a bad name is refused.
//! No network, no kernel: names are pure parsing (distribution's `reference` grammar).

use registry::Reference;

fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let names = if names.is_empty() {
        [
            "alpine",
            "bitnami/redis:7",
            "localhost:5000/lab/app:v1",
            "Alpine",
            "alpine:-bad",
        ]
        .map(String::from)
        .to_vec()
    } else {
        names
    };
    let client = registry::Client::anonymous();
    for name in names {
        // ANCHOR: resolve
        match Reference::parse(&name) {
            Ok(r) => {
                let endpoint = &client.config().endpoints(&r)[0];
                println!("{name:30} → {r}");
                println!(
                    "{:30}   registry={} repository={} target={}",
                    "",
                    r.registry,
                    r.repository,
                    r.target()
                );
                println!(
                    "{:30}   GET {}/v2/{}/manifests/{}",
                    "",
                    endpoint.base,
                    r.repository,
                    r.target()
                );
            }
            Err(e) => println!("{name:30} ✗ {e}"),
        }
        // ANCHOR_END: resolve
    }
}
