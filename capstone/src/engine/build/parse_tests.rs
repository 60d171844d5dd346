//! Tests of the Dockerfile parser and the stage planner, one behaviour each.

use super::dockerfile::{Command, CopyArgs, Instruction, parse};
use super::stages::{Base, plan};
use std::collections::BTreeMap;

fn instructions(text: &str) -> Vec<Instruction> {
    let file = parse(text).unwrap();
    file.stages
        .into_iter()
        .flat_map(|s| s.steps)
        .map(|s| s.instruction)
        .collect()
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn shell_and_exec_forms_are_told_apart() {
    let got =
        instructions("FROM a\nRUN echo $HOME\nCMD [\"sh\", \"-c\", \"x\"]\nENTRYPOINT [not json\n");
    assert_eq!(
        got,
        [
            Instruction::Run {
                command: Command::Shell("echo $HOME".into()),
                network: None
            },
            Instruction::Cmd(Command::Exec(vec!["sh".into(), "-c".into(), "x".into()])),
            Instruction::Entrypoint(Command::Shell("[not json".into())),
        ]
    );
}

#[test]
fn instruction_keywords_are_case_insensitive() {
    let got = instructions("from a\nworkdir /app\nuser nobody\n");
    assert_eq!(
        got,
        [
            Instruction::Workdir("/app".into()),
            Instruction::User("nobody".into())
        ]
    );
}

#[test]
fn env_and_label_take_pairs_or_the_legacy_form() {
    let got = instructions("FROM a\nENV A=1 B=\"two words\"\nENV LEGACY some value\nLABEL x.y=z\n");
    assert_eq!(
        got,
        [
            Instruction::Env(vec![
                ("A".into(), "1".into()),
                ("B".into(), "\"two words\"".into())
            ]),
            Instruction::Env(vec![("LEGACY".into(), "some value".into())]),
            Instruction::Label(vec![("x.y".into(), "z".into())]),
        ]
    );
}

#[test]
fn add_checksum_is_recorded() {
    let got = instructions("FROM a\nADD --checksum=sha256:ab https://x/y /y\n");
    assert_eq!(
        got,
        [Instruction::Add(CopyArgs {
            checksum: Some("sha256:ab".into()),
            paths: vec!["https://x/y".into(), "/y".into()],
            ..CopyArgs::default()
        })]
    );
}

#[test]
fn copy_flags_and_json_paths() {
    let got = instructions(
        "FROM a\nCOPY --from=build --chown=1:2 /out/app /bin/\nCOPY [\"a b\", \"/dst/\"]\n",
    );
    assert_eq!(
        got,
        [
            Instruction::Copy(CopyArgs {
                from: Some("build".into()),
                chown: Some("1:2".into()),
                chmod: None,
                checksum: None,
                paths: vec!["/out/app".into(), "/bin/".into()],
            }),
            Instruction::Copy(CopyArgs {
                paths: vec!["a b".into(), "/dst/".into()],
                ..CopyArgs::default()
            }),
        ]
    );
}

#[test]
fn run_network_flag_is_taken_off_the_command() {
    let got = instructions("FROM a\nRUN --network=none wget x\n");
    assert_eq!(
        got,
        [Instruction::Run {
            command: Command::Shell("wget x".into()),
            network: Some("none".into())
        }]
    );
}

#[test]
fn arg_before_from_is_a_meta_arg_and_stages_get_names() {
    let file = parse("ARG BASE=busybox\nFROM $BASE AS Build\nARG V=1 W\nFROM build\n").unwrap();
    assert_eq!(
        file.meta_args,
        [("BASE".to_string(), Some("busybox".to_string()))]
    );
    assert_eq!(file.stages[0].name.as_deref(), Some("build"));
    assert_eq!(
        file.stages[0].steps[0].instruction,
        Instruction::Arg(vec![("V".into(), Some("1".into())), ("W".into(), None)])
    );
}

#[test]
fn onbuild_keeps_its_trigger_and_refuses_from() {
    assert_eq!(
        instructions("FROM a\nONBUILD RUN echo hi\n"),
        [Instruction::Onbuild("RUN echo hi".into())]
    );
    assert!(error("FROM a\nONBUILD FROM b\n").contains("line 2: FROM isn't allowed"));
}

#[test]
fn unknown_instruction_names_its_line() {
    assert_eq!(
        error("FROM a\n\nRUN true\nFETCH http://x\n")
            .split(':')
            .take(2)
            .collect::<Vec<_>>(),
        ["dockerfile line 4", " unknown instruction"]
    );
}

#[test]
fn bad_syntax_is_reported_with_the_line() {
    assert!(error("FROM a\nCOPY onlyone\n").starts_with("dockerfile line 2: COPY requires"));
    assert!(error("FROM a\nSHELL sh -c\n").starts_with("dockerfile line 2: SHELL must be"));
    assert!(error("FROM a\nRUN\n").starts_with("dockerfile line 2: RUN requires"));
    assert!(error("FROM a\nCOPY --mount=x a b\n").contains("unknown flag: --mount"));
    assert!(
        error("RUN true\nFROM a\n").starts_with("dockerfile line 1: RUN before the first FROM")
    );
    assert!(error("# only a comment\n").contains("no FROM"));
    assert!(error("FROM a AS 1x\n").contains("invalid stage name"));
    assert!(error("FROM a\nLABEL novalue\n").contains("key=value"));
}

fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const MULTI: &str = "\
ARG TAG=1.0
FROM busybox:$TAG AS build
RUN make
FROM scratch AS unused
FROM build AS test
FROM busybox
COPY --from=build /out /out
";

#[test]
fn meta_args_expand_in_from_and_build_args_override_them() {
    let file = parse(MULTI).unwrap();
    let p = plan(&file, &args(&[]), None).unwrap();
    assert_eq!(p.bases[0], Base::Image("busybox:1.0".into()));
    let p = plan(&file, &args(&[("TAG", "2.0")]), None).unwrap();
    assert_eq!(p.bases[0], Base::Image("busybox:2.0".into()));
    assert_eq!(p.bases[1], Base::Scratch);
    assert_eq!(p.bases[2], Base::Stage(0));
}

#[test]
fn only_stages_the_target_needs_are_built() {
    let file = parse(MULTI).unwrap();
    let p = plan(&file, &args(&[]), None).unwrap();
    assert_eq!(p.target, 3);
    assert_eq!(p.needed, [true, false, false, true]);
    let p = plan(&file, &args(&[]), Some("TEST")).unwrap();
    assert_eq!((p.target, p.needed), (2, vec![true, false, true, false]));
}

#[test]
fn undefined_stages_are_errors() {
    let file = parse(MULTI).unwrap();
    let e = plan(&file, &args(&[]), Some("nope"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--target") && e.contains("build, unused, test, 3"),
        "{e}"
    );
    let file = parse("FROM a\nCOPY --from=7 /x /y\n").unwrap();
    let e = plan(&file, &args(&[]), None).unwrap_err().to_string();
    assert!(e.starts_with("dockerfile line 2: undefined stage 7"), "{e}");
    let file = parse("FROM a AS one\nCOPY --from=one /x /y\n").unwrap();
    assert!(
        plan(&file, &args(&[]), None)
            .unwrap_err()
            .to_string()
            .contains("undefined stage")
    );
}

#[test]
fn copy_from_an_unknown_name_is_an_image() {
    let file = parse("FROM a\nCOPY --from=busybox:latest /bin/sh /sh\n").unwrap();
    let p = plan(&file, &args(&[]), None).unwrap();
    assert_eq!(p.needed, [true]);
}
