//! Graders for lesson 05 (registry), manifests: a pretend registry that lies about digests
//! (05.4), and indexes with a random set of platforms in a random order (05.5). Digests,
//! names and platforms are chosen per run.

use crate::fake_registry::{Answer, FakeRegistry, in_private_netns, random_digest};
use crate::kernel;
use crate::report::Report;
use registry::Client;
use registry::config::Endpoint;
use registry::manifest::{
    ImageIndex, OCI_MANIFEST, Platform, fetch_manifest, select_platform, sha256_digest,
};

/// A small image manifest nobody has seen before (random config digest and size).
fn random_manifest() -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        random_digest(),
        fastrand::u32(100..100_000)
    )
}

/// 05.4: an honest manifest is accepted; one whose sha256 differs from the
/// `Docker-Content-Digest` header, or from the digest it was asked by, is refused.
pub fn verify_digest(r: &mut Report) -> anyhow::Result<()> {
    let (honest, swapped, claimed) = (random_manifest(), random_manifest(), random_manifest());
    let repo = format!("kit/{}", kernel::random_name("repo"));
    let asked_digest = sha256_digest(honest.as_bytes());
    let claimed_digest = sha256_digest(claimed.as_bytes());
    let (h, s, a) = (honest.clone(), swapped.clone(), asked_digest.clone());
    let prefix = format!("/v2/{repo}/manifests/");
    let (cd, p) = (claimed_digest.clone(), prefix.clone());
    in_private_netns(move || {
        let _server = FakeRegistry::start(move |seen, _| {
            let (body, digest) = match seen.url.strip_prefix(&p) {
                Some("honest") => (&h, sha256_digest(h.as_bytes())),
                Some("swapped") => (&s, cd.clone()),
                // Asked by digest, the registry serves other bytes.
                Some(d) if d == a => (&s, a.clone()),
                _ => return Answer::new(404, "no such manifest"),
            };
            Answer::new(200, body.as_bytes())
                .header("Content-Type", OCI_MANIFEST)
                .header("Docker-Content-Digest", &digest)
        })?;
        let endpoint = Endpoint {
            registry: _server.base.trim_start_matches("http://").to_string(),
            base: _server.base.clone(),
            mirror: false,
        };
        let client = Client::anonymous();
        let outcome = |target: &str| match fetch_manifest(&client, &endpoint, &repo, target) {
            Ok(fetched) => format!("accepted as {}", fetched.digest),
            Err(e) => format!("refused: {e}"),
        };
        let said = outcome("honest");
        if !r.check(
            "an honest manifest (its sha256 equals Docker-Content-Digest) is accepted",
            said.clone(),
            said == format!("accepted as {asked_digest}"),
        ) {
            r.advise("only a mismatch may be refused: compare the sha256 of the bytes with the digest expected", 2);
        }
        let said = outcome("swapped");
        if !r.check(
            format!("a manifest served under Docker-Content-Digest {claimed_digest} with other bytes is refused"),
            said.clone(),
            said.starts_with("refused") && said.contains(&claimed_digest),
        ) {
            r.advise("pulling by tag, the digest to trust is the Docker-Content-Digest header: return Error::DigestMismatch when the bytes' sha256 differs", 1);
        }
        let said = outcome(&asked_digest);
        if !r.check(
            format!("asked by digest {asked_digest}, other bytes are refused"),
            said.clone(),
            said.starts_with("refused") && said.contains(&asked_digest),
        ) {
            r.advise("pulling by digest, the digest asked for is the one to trust, whatever the header says", 0);
        }
        anyhow::Ok(())
    })?
}

/// Platforms a real index may list (GOARCH names and variants).
const POOL: &[(&str, Option<&str>)] = &[
    ("amd64", None),
    ("arm64", Some("v8")),
    ("arm", Some("v7")),
    ("arm", Some("v6")),
    ("ppc64le", None),
    ("s390x", None),
    ("386", None),
    ("riscv64", None),
    ("mips64le", None),
];

/// An index listing `platforms` in a random order after an `unknown/unknown` entry (what
/// Docker's build attestations look like), each with a random digest.
fn index(platforms: &[(&str, Option<&str>)]) -> anyhow::Result<ImageIndex> {
    let mut entries: Vec<String> = platforms
        .iter()
        .map(|(arch, variant)| entry("linux", arch, *variant))
        .collect();
    fastrand::shuffle(&mut entries);
    entries.insert(0, entry("unknown", "unknown", None));
    let json = format!(
        r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
        entries.join(",")
    );
    Ok(serde_json::from_str(&json)?)
}

fn entry(os: &str, arch: &str, variant: Option<&str>) -> String {
    let variant = variant
        .map(|v| format!(r#","variant":"{v}""#))
        .unwrap_or_default();
    format!(
        r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"platform":{{"os":"{os}","architecture":"{arch}"{variant}}}}}"#,
        random_digest(),
        fastrand::u32(300..3000)
    )
}

/// The digest the index lists for `os/arch[/variant]`, found the plain way.
fn digest_of(index: &ImageIndex, arch: &str, variant: Option<&str>) -> String {
    index
        .manifests
        .iter()
        .find(|d| {
            d.platform.as_ref().is_some_and(|p| {
                p.os == "linux" && p.architecture == arch && p.variant.as_deref() == variant
            })
        })
        .map(|d| d.digest.clone())
        .unwrap_or_default()
}

fn choose(index: &ImageIndex, wanted: &str) -> anyhow::Result<Result<String, String>> {
    let platform = Platform::parse(wanted)?;
    Ok(select_platform(index, &platform, "kit/image")
        .map(|d| d.digest.clone())
        .map_err(|e| e.to_string()))
}

/// 05.5: the manifest for the wanted platform, exactly; the default variant when none is
/// asked for (arm means v7); and an error naming what there is when nothing fits.
pub fn choose_platform(r: &mut Report) -> anyhow::Result<()> {
    let mut pool = POOL.to_vec();
    fastrand::shuffle(&mut pool);
    let listed = &pool[..fastrand::usize(3..=6)];
    let index_listed = index(listed)?;
    for _ in 0..3 {
        let (arch, variant) = listed[fastrand::usize(..listed.len())];
        let wanted = format!(
            "linux/{arch}{}",
            variant.map(|v| format!("/{v}")).unwrap_or_default()
        );
        let expected = digest_of(&index_listed, arch, variant);
        let got = choose(&index_listed, &wanted)?;
        if !r.check(
            format!(
                "{wanted} from an index listing {}: its manifest {expected}",
                listed.len() + 1
            ),
            format!("{got:?}"),
            got.as_ref() == Ok(&expected),
        ) {
            r.advise("look at each entry's platform: os and architecture must match, and the variant when one is asked for", 1);
        }
    }
    let arm = index(&[("arm", Some("v6")), ("arm", Some("v7")), ("amd64", None)])?;
    let got = choose(&arm, "linux/arm")?;
    let expected = digest_of(&arm, "arm", Some("v7"));
    if !r.check(
        format!("linux/arm (no variant) from arm/v6 and arm/v7: the default v7, {expected}"),
        format!("{got:?}"),
        got.as_ref() == Ok(&expected),
    ) {
        r.advise("with no variant asked for, prefer the architecture's default variant (normalized_variant)", 2);
    }
    // Of the three platforms not listed, one whose architecture is not listed either.
    let missing = pool[6..]
        .iter()
        .map(|p| p.0)
        .find(|arch| !listed.iter().any(|l| l.0 == *arch))
        .unwrap_or("wasm");
    let got = choose(&index_listed, &format!("linux/{missing}"))?;
    r.check(
        format!("linux/{missing}, which the index does not list, is an error naming it"),
        format!("{got:?}"),
        got.as_ref().is_err_and(|e| e.contains(missing)),
    );
    Ok(())
}
