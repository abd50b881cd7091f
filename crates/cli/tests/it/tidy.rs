//! The shape of the code base, checked like behaviour: no source file
//! outside `tests/` over 800 lines, no crate over 40 % of the non-test Rust
//! lines, no import circle between the top-level modules of a crate, and no
//! store write called from the web crate (see ARCHITECTURE.md, "Rules of the house").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 800;
const MAX_CRATE_SHARE: f64 = 0.40;
const SOURCE_EXTENSIONS: &[&str] = &["rs", "py", "js", "sh"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/cli lies two levels below the workspace root")
        .to_path_buf()
}

/// Every file below `dir`, skipping build output, installed packages and test folders.
fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | "node_modules" | "tests" | ".git" | "__pycache__" | "screenshots"
            ) {
                files_below(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

fn source_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["crates", "scripts", ".ci"] {
        files_below(&root.join(dir), &mut files);
    }
    files.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e))
            || p.parent().is_some_and(|d| d.file_name().is_some_and(|n| n == ".ci"))
    });
    files.sort();
    files
}

#[test]
fn no_source_file_outside_tests_is_over_800_lines() {
    let root = workspace_root();
    let files = source_files(&root);
    assert!(
        files.len() > 100,
        "found only {} source files under {}",
        files.len(),
        root.display()
    );
    let long: Vec<String> = files
        .iter()
        .map(|p| (p, line_count(p)))
        .filter(|(_, n)| *n > MAX_FILE_LINES)
        .map(|(p, n)| format!("{} ({n} lines)", p.strip_prefix(&root).unwrap_or(p).display()))
        .collect();
    assert!(
        long.is_empty(),
        "split these files (at most {MAX_FILE_LINES} lines outside tests/): {long:?}"
    );
}

/// The crates of the workspace: name → `src` folder.
fn crates(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/").flatten() {
        let src = entry.path().join("src");
        if src.is_dir() {
            out.insert(entry.file_name().to_string_lossy().to_string(), src);
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_below(dir, &mut files);
    files.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    files
}

#[test]
fn no_crate_holds_over_40_percent_of_the_code() {
    let root = workspace_root();
    let sizes: BTreeMap<String, usize> = crates(&root)
        .into_iter()
        .map(|(name, src)| {
            let lines = rust_files(src.parent().unwrap_or(&src))
                .iter()
                .map(|p| line_count(p))
                .sum();
            (name, lines)
        })
        .collect();
    let total: usize = sizes.values().sum();
    assert!(sizes.len() >= 6, "expected the workspace's crates, found {sizes:?}");
    for (name, lines) in &sizes {
        let share = *lines as f64 / total as f64;
        assert!(
            share <= MAX_CRATE_SHARE,
            "crate `{name}` holds {:.1} % of the {total} non-test Rust lines (at most {:.0} %): {sizes:?}",
            share * 100.0,
            MAX_CRATE_SHARE * 100.0
        );
    }
}

/// The top-level modules of a crate (files and folders directly under
/// `src/`) with the other top-level modules each one names as `crate::x`
/// or in `use crate::{x, …}` (comments are not read).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string())
            .unwrap_or_default();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let refs = graph.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or_default();
                for part in group.split(',') {
                    refs.insert(ident_at(part.trim_start()));
                }
            } else {
                refs.insert(ident_at(rest));
            }
        }
        refs.remove(&top);
    }
    let names: BTreeSet<String> = graph.keys().cloned().collect();
    for refs in graph.values_mut() {
        refs.retain(|r| names.contains(r));
    }
    graph
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// One circle of the graph, if there is any (depth-first search).
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let root = workspace_root();
    for (name, src) in crates(&root) {
        let graph = module_graph(&src);
        if let Some(circle) = find_circle(&graph) {
            panic!(
                "crate `{name}`: top-level modules import each other in a circle: {}",
                circle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
            .collect();
    let circle = find_circle(&graph).expect("a -> b -> c -> a");
    assert_eq!(circle.first(), circle.last());
    assert_eq!(circle.len(), 4);
    let mut acyclic = graph.clone();
    acyclic.insert("c".into(), BTreeSet::new());
    assert_eq!(find_circle(&acyclic), None);
}

#[test]
fn the_module_graph_reads_grouped_and_plain_imports() {
    let dir = std::env::temp_dir().join(format!("amends-tidy-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("b")).expect("temp dir");
    std::fs::write(src.join("a.rs"), "use crate::{b::X, c};\n// crate::d in a comment\n").expect("a");
    std::fs::write(src.join("b").join("mod.rs"), "fn f() { crate::c::g() }\n").expect("b");
    std::fs::write(src.join("c.rs"), "").expect("c");
    std::fs::write(src.join("d.rs"), "").expect("d");
    let graph = module_graph(&src);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(graph["a"], BTreeSet::from(["b".to_string(), "c".to_string()]));
    assert_eq!(graph["b"], BTreeSet::from(["c".to_string()]));
    assert!(graph["c"].is_empty());
}

/// How the store's writing methods begin; each must name at least one real
/// method of `crates/store` (checked), so the list follows the store.
const STORE_WRITE_PREFIXES: &[&str] = &[
    "insert_",
    "update_",
    "delete_",
    "set_",
    "save_",
    "upsert_",
    "transition_",
    "record_",
    "grant_",
    "decide_",
    "revoke_",
    "deactivate_",
    "link_",
    "assign_",
    "answer_",
    "claim_",
    "complete_",
    "fail_",
    "retry_",
    "enqueue_",
    "purge_",
    "add_",
    "clear_",
    "queue_",
    "stage_",
    "fan_out_",
    "write_",
    "find_or_create_",
];

/// The names of the store's public functions (`pub fn` and `pub async fn`).
fn store_functions(root: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in rust_files(&root.join("crates/store/src")) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for part in text.split("pub async fn ").skip(1).chain(text.split("pub fn ").skip(1)) {
            names.insert(ident_at(part));
        }
    }
    names
}

/// The methods of `writes` that `code` calls (`.name(`, also across lines); line comments are not read.
fn store_writes_called(code: &str, writes: &BTreeSet<String>) -> Vec<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    code.split('.')
        .skip(1)
        .map(|rest| rest.trim_start())
        .filter(|rest| {
            let name = ident_at(rest);
            writes.contains(&name) && rest[name.len()..].trim_start().starts_with('(')
        })
        .map(ident_at)
        .collect()
}

#[test]
fn the_web_writes_only_through_app_use_cases() {
    let root = workspace_root();
    let functions = store_functions(&root);
    for prefix in STORE_WRITE_PREFIXES {
        assert!(
            functions.iter().any(|f| f.starts_with(prefix)),
            "no store function begins with `{prefix}`: update STORE_WRITE_PREFIXES"
        );
    }
    let writes: BTreeSet<String> = functions
        .into_iter()
        .filter(|f| STORE_WRITE_PREFIXES.iter().any(|p| f.starts_with(p)))
        .collect();
    for known in [
        "insert_session",
        "delete_session",
        "transition_case",
        "grant_goodwill",
        "save_solution",
    ] {
        assert!(
            writes.contains(known),
            "`{known}` should count as a store write: {writes:?}"
        );
    }
    let mut found = Vec::new();
    for file in rust_files(&root.join("crates/web/src")) {
        let code = std::fs::read_to_string(&file).unwrap_or_default();
        for name in store_writes_called(&code, &writes) {
            found.push(format!(
                "{}: {name}",
                file.strip_prefix(&root).unwrap_or(&file).display()
            ));
        }
    }
    assert!(
        found.is_empty(),
        "the web calls store writes; call an amends_app use case instead: {found:?}"
    );
}

#[test]
fn the_store_write_finder_finds_writes_across_lines() {
    let writes = BTreeSet::from(["delete_session".to_string(), "insert_case".to_string()]);
    let code = "let s = state\n    .store()\n    .delete_session(&h)\n    .await?;\n// state.store().insert_case(x)\nstate.store().get_case(id);\nlet insert_case = 1;";
    assert_eq!(store_writes_called(code, &writes), vec!["delete_session".to_string()]);
}

/// The OpenAPI schema names that `code` declares: every type deriving
/// `ToSchema`, under its `#[schema(as = …)]` name if it has one.
fn schema_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = code.lines();
    while let Some(line) = lines.next() {
        if !(line.contains("derive(") && line.contains("ToSchema")) {
            continue;
        }
        let mut alias = None;
        for next in lines.by_ref() {
            let next = next.trim();
            if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                alias = rest.split([')', ',']).next().map(|s| s.trim().to_string());
            }
            let decl = [
                "pub struct ",
                "pub enum ",
                "struct ",
                "enum ",
                "pub(crate) struct ",
                "pub(crate) enum ",
            ]
            .iter()
            .find_map(|k| next.strip_prefix(k));
            if let Some(rest) = decl {
                let ident = ident_at(rest);
                names.push(alias.take().unwrap_or(ident));
                break;
            }
        }
    }
    names
}

/// Two types with one schema name make the OpenAPI document describe one
/// of them twice (the goodwill rules once documented the detection rules'
/// body, and valid requests got 422).
#[test]
fn no_two_api_schemas_share_a_name() {
    let root = workspace_root();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for krate in ["web", "app", "domain", "store"] {
        for file in rust_files(&root.join("crates").join(krate).join("src")) {
            let code = std::fs::read_to_string(&file).unwrap_or_default();
            for name in schema_names(&code) {
                let at = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
                seen.entry(name).or_default().push(at);
            }
        }
    }
    let shared: Vec<_> = seen.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(
        shared.is_empty(),
        "schema names declared twice; give one `#[schema(as = NewName)]`: {shared:?}"
    );
    assert!(
        seen.contains_key("Problem") && seen.contains_key("DetectionRuleIn"),
        "{seen:?}"
    );
}

#[test]
fn the_schema_name_finder_reads_aliases() {
    let code = "#[derive(Debug, Deserialize, ToSchema)]\n#[serde(deny_unknown_fields)]\n#[schema(as = RuleIn2)]\npub struct RuleIn {\n}\n#[derive(utoipa::ToSchema)]\nenum Kind { A }\n#[derive(Debug)]\nstruct Other;";
    assert_eq!(schema_names(code), vec!["RuleIn2".to_string(), "Kind".to_string()]);
}
