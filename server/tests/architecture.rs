//! The map cannot drift from the house: ARCHITECTURE.md's `layers` block lists the server's
//! top-level modules from the top layer down, and its `forbidden` block arrows that must not
//! exist inside a layer. This test reads every `crate::…` path in `server/src` and fails on an
//! arrow the map forbids: a module that reaches up, or sideways within its layer.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The lines of the fenced block ```` ```name ```` in `text`.
fn block<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let fence = format!("```{name}");
    let mut lines = text.lines().skip_while(|l| l.trim() != fence).skip(1);
    let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
    assert!(!block.is_empty(), "ARCHITECTURE.md has no ```{name} block");
    block.into_iter().map(str::trim).filter(|l| !l.is_empty()).collect()
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The module path a file is (`http/pages/page.rs` → `http::pages::page`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

/// Every `crate::a::b…` path a file names outside comments, as `a::b…`, with `use
/// crate::a::{b, c::d}` groups spread out (`a::b`, `a::c::d`).
fn crate_paths(source: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for line in source.lines() {
        let mut rest = line.split("//").next().unwrap_or_default();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let prefix = path.trim_end_matches(':');
            match rest[path.len()..].strip_prefix('{') {
                Some(group) => {
                    let inner = group.split('}').next().unwrap_or_default();
                    for item in inner.split(',').map(|i| i.trim().trim_start_matches('{')) {
                        let item = item.split_whitespace().next().unwrap_or_default();
                        match (prefix.is_empty(), item.is_empty()) {
                            (_, true) => {}
                            (true, false) => {
                                paths.insert(item.to_owned());
                            }
                            (false, false) => {
                                paths.insert(format!("{prefix}::{item}"));
                            }
                        }
                    }
                }
                None => {
                    paths.insert(prefix.to_owned());
                }
            }
        }
    }
    paths
}

/// Whether module path `path` is `module` or inside it.
fn within(path: &str, module: &str) -> bool {
    path == module || path.strip_prefix(module).is_some_and(|rest| rest.starts_with("::"))
}

#[test]
fn imports_point_only_where_the_map_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let layers: Vec<Vec<&str>> = block(&map, "layers")
        .into_iter()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let layer_of = |module: &str| layers.iter().position(|layer| layer.contains(&module));
    let forbidden: Vec<(&str, &str)> = block(&map, "forbidden")
        .into_iter()
        .map(|line| line.split_once("->").map(|(a, b)| (a.trim(), b.trim())).unwrap())
        .collect();

    let src = root.join("server/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut unplaced = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let top = module.split("::").next().unwrap().to_owned();
        let Some(own) = layer_of(&top) else {
            unplaced.insert(top);
            continue;
        };
        for path in crate_paths(&std::fs::read_to_string(file).unwrap()) {
            let target = path.split("::").next().unwrap_or_default();
            if target == top || target.is_empty() {
                let arrow = forbidden
                    .iter()
                    .find(|(from, to)| within(&module, from) && within(&path, to));
                if let Some((from, to)) = arrow {
                    wrong.push(format!("{module} uses crate::{path} ({from} must not reach {to})"));
                }
                continue;
            }
            match layer_of(target) {
                Some(theirs) if theirs > own => {}
                Some(_) => wrong.push(format!(
                    "{module} uses crate::{path}: {top} may use only the layers below its own"
                )),
                None => {
                    unplaced.insert(target.to_owned());
                }
            }
        }
    }
    assert!(unplaced.is_empty(), "modules the map does not place: {unplaced:?}");
    assert!(
        wrong.is_empty(),
        "arrows ARCHITECTURE.md forbids:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_reader_sees_groups_and_paths() {
    let paths = crate_paths(
        "use crate::http::{pages, api::clips};\nuse crate::state::AppState; // crate::cli in a comment\nlet x = crate::storage::keys::object_key(1);",
    );
    let expected: BTreeSet<String> = [
        "http::pages",
        "http::api::clips",
        "state::AppState",
        "storage::keys::object_key",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(paths, expected);
}
