//! Bookmarks through the API: URL rules and duplicates, privacy and project sharing, imports of
//! real-format browser files over multipart upload (small, huge and broken), export round trips,
//! and ranked, typo-tolerant search.

mod common;

use std::collections::BTreeSet;

use common::{data, expect_error, ws::GraphqlWs, TestApp, TestUser};
use serde_json::{json, Value};

const CREATE: &str = "mutation Create($input: CreateBookmarkInput!) {
  createBookmark(input: $input) { id url normalizedUrl title notes tags folder favorite createdAt projectId viewerCanEdit owner { email } }
}";
const UPDATE: &str = "mutation Update($id: ID!, $input: UpdateBookmarkInput!) {
  updateBookmark(id: $id, input: $input) { id url title tags favorite projectId }
}";
const DELETE: &str = "mutation Delete($id: ID!) { deleteBookmark(id: $id) }";
const GET: &str = "query Get($id: ID!) { bookmark(id: $id) { id url title viewerCanEdit project { name } owner { email } } }";
const SEARCH: &str = "query Search($query: String, $tags: [String!], $folder: [String!], $favorite: Boolean, $projectId: ID, $first: Int, $after: String) {
  bookmarks(query: $query, tags: $tags, folder: $folder, favorite: $favorite, projectId: $projectId, first: $first, after: $after) {
    edges { cursor node { id url title tags folder score snippet createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}";
const IMPORT: &str = "mutation Import($file: Upload!, $format: BookmarkFileFormat!) {
  importBookmarks(file: $file, format: $format) {
    id status total imported duplicates error skipped { position url reason }
  }
}";
const EXPORT: &str = "query Export($format: BookmarkFileFormat!) {
  exportBookmarks(format: $format) { format fileName contentType count content }
}";

async fn create(app: &TestApp, user: &TestUser, input: Value) -> Value {
    app.graphql_as(&user.access_token, CREATE, json!({ "input": input }))
        .await
}

async fn created(app: &TestApp, user: &TestUser, input: Value) -> Value {
    let body = create(app, user, input).await;
    data(&body)["createBookmark"].clone()
}

async fn search(app: &TestApp, user: &TestUser, variables: Value) -> Vec<Value> {
    let body = app.graphql_as(&user.access_token, SEARCH, variables).await;
    data(&body)["bookmarks"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

fn titles(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|node| node["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn import(app: &TestApp, user: &TestUser, format: &str, content: &[u8]) -> Value {
    let response = app
        .upload_graphql(
            &user.access_token,
            IMPORT,
            json!({ "format": format }),
            "bookmarks.html",
            content,
        )
        .await;
    response.json().await.expect("a JSON answer")
}

async fn imported(app: &TestApp, user: &TestUser, format: &str, content: &str) -> Value {
    let body = import(app, user, format, content.as_bytes()).await;
    data(&body)["importBookmarks"].clone()
}

async fn export(app: &TestApp, user: &TestUser, format: &str) -> Value {
    let body = app
        .graphql_as(&user.access_token, EXPORT, json!({ "format": format }))
        .await;
    data(&body)["exportBookmarks"].clone()
}

/// Everything a round trip must keep, per bookmark, as a set.
async fn collection(app: &TestApp, user: &TestUser) -> BTreeSet<String> {
    let file = export(app, user, "JSON").await;
    let items: Vec<Value> = serde_json::from_str(file["content"].as_str().unwrap()).unwrap();
    items
        .iter()
        .map(|item| {
            let created = chrono::DateTime::parse_from_rfc3339(item["createdAt"].as_str().unwrap())
                .unwrap()
                .timestamp();
            format!(
                "{} | {} | {} | {} | {created}",
                item["url"], item["title"], item["folder"], item["tags"]
            )
        })
        .collect()
}

async fn count(app: &TestApp, user: &TestUser) -> i64 {
    export(app, user, "JSON").await["count"].as_i64().unwrap()
}

const CHROME: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3 ADD_DATE="1699000000" LAST_MODIFIED="1699000500" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
    <DL><p>
        <DT><A HREF="https://www.rust-lang.org/" ADD_DATE="1699000100" ICON="data:image/png;base64,iVBORw0KGgo=">Rust Programming Language</A>
        <DT><H3 ADD_DATE="1699000200" LAST_MODIFIED="1699000300">Work</H3>
        <DL><p>
            <DT><A HREF="https://github.com/" ADD_DATE="1699000250">GitHub</A>
        </DL><p>
    </DL><p>
    <DT><H3 ADD_DATE="1699000400" LAST_MODIFIED="0">Other bookmarks</H3>
    <DL><p>
        <DT><A HREF="https://news.ycombinator.com/" ADD_DATE="1699000450">Hacker News</A>
    </DL><p>
</DL><p>
"#;

const FIREFOX: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src 'none'; img-src data: *; object-src 'none'"></meta>
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>

<DL><p>
    <DT><H3 ADD_DATE="1600000000" LAST_MODIFIED="1600000100">Dev</H3>
    <DL><p>
        <DT><H3 ADD_DATE="1600000001" LAST_MODIFIED="1600000002">Containers</H3>
        <DL><p>
            <DT><A HREF="https://kubernetes.io/docs/home/" ADD_DATE="1600000010" LAST_MODIFIED="1600000011" TAGS="k8s,Ops" SHORTCUTURL="k8s">Kubernetes Documentation</A>
            <DD>Concepts, tasks and the API reference
            <DT><A HREF="https://docs.docker.com/" ADD_DATE="1600000020" TAGS="ops,containers">Docker Docs</A>
        </DL><p>
        <DT><A HREF="https://doc.rust-lang.org/book/" ADD_DATE="1600000030" TAGS="rust">The Rust Book</A>
    </DL><p>
    <HR>
    <DT><H3 ADD_DATE="1600000040" LAST_MODIFIED="1600000041" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks Toolbar</H3>
    <DL><p>
        <DT><A HREF="https://www.mozilla.org/en-US/firefox/central/" ADD_DATE="1600000050" ICON_URI="https://www.mozilla.org/favicon.ico">Getting Started</A>
    </DL><p>
</DL>
"#;

const SAFARI: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
	<HTML>
	<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
	<Title>Bookmarks</Title>
	<H1>Bookmarks</H1>
	<DT><H3 FOLDED>Favorites</H3>
	<DL><p>
		<DT><A HREF="https://www.apple.com/">Apple</A>
		<DT><A HREF="https://en.wikipedia.org/wiki/Main_Page">Wikipedia</A>
	</DL><p>
	<DT><H3 FOLDED id="com.apple.ReadingList">Reading List</H3>
	<DL><p>
		<DT><A HREF="https://webkit.org/blog/">WebKit Blog</A>
	</DL><p>
	</HTML>
"#;

#[tokio::test]
async fn a_bookmark_is_created_normalized_and_a_duplicate_names_the_existing_one() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let first = created(
        &app,
        &me,
        json!({ "url": "HTTPS://Example.COM:443/docs/?utm_source=x&page=2#intro", "title": "Docs", "tags": ["Rust", "rust ", "web"], "folder": ["Dev", " Rust "] }),
    )
    .await;
    assert_eq!(
        first["url"],
        "https://example.com/docs/?utm_source=x&page=2#intro"
    );
    assert_eq!(first["normalizedUrl"], "https://example.com/docs?page=2");
    assert_eq!(first["tags"], json!(["rust", "web"]));
    assert_eq!(first["folder"], json!(["Dev", "Rust"]));
    assert_eq!(first["viewerCanEdit"], true);
    assert_eq!(first["owner"]["email"], "me@example.com");

    let again = create(
        &app,
        &me,
        json!({ "url": "https://example.com/docs?page=2&fbclid=abc", "title": "Again" }),
    )
    .await;
    let error = expect_error(&again, "CONFLICT");
    assert_eq!(error["extensions"]["existingBookmarkId"], first["id"]);
    assert!(error["message"].as_str().unwrap().contains("Docs"));

    // Someone else may bookmark the same page: duplicates are per user.
    let other = app.register("other@example.com", "Other").await;
    created(
        &app,
        &other,
        json!({ "url": "https://example.com/docs?page=2" }),
    )
    .await;

    // Changing another bookmark's URL onto an existing one is a conflict too.
    let second = created(&app, &me, json!({ "url": "https://example.com/other" })).await;
    let moved = app
        .graphql_as(
            &me.access_token,
            UPDATE,
            json!({ "id": second["id"], "input": { "url": "https://example.com/docs/?page=2" } }),
        )
        .await;
    assert_eq!(
        expect_error(&moved, "CONFLICT")["extensions"]["existingBookmarkId"],
        first["id"]
    );
}

#[tokio::test]
async fn unsafe_schemes_malformed_and_overlong_urls_are_refused() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    for url in [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "chrome://settings",
        "about:blank",
        "ftp://example.com/",
    ] {
        let body = create(&app, &me, json!({ "url": url })).await;
        let error = expect_error(&body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "url", "{url}");
        assert_eq!(error["extensions"]["reason"], "UNSAFE_SCHEME", "{url}");
    }
    let malformed = create(&app, &me, json!({ "url": "not a url at all" })).await;
    assert_eq!(
        expect_error(&malformed, "BAD_USER_INPUT")["extensions"]["reason"],
        "MALFORMED_URL"
    );
    let long = format!("https://example.com/{}", "a".repeat(2_030));
    let body = create(&app, &me, json!({ "url": long })).await;
    assert_eq!(
        expect_error(&body, "BAD_USER_INPUT")["extensions"]["reason"],
        "TOO_LONG"
    );
    assert_eq!(count(&app, &me).await, 0);
}

#[tokio::test]
async fn another_user_cannot_read_search_update_or_delete_my_bookmarks() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let stranger = app.register("stranger@example.com", "Stranger").await;
    let mine = created(
        &app,
        &me,
        json!({ "url": "https://secret.example/plans", "title": "Secret plans", "tags": ["private"] }),
    )
    .await;
    let id = json!({ "id": mine["id"] });

    let read = app
        .graphql_as(&stranger.access_token, GET, id.clone())
        .await;
    expect_error(&read, "NOT_FOUND");
    let update = app
        .graphql_as(
            &stranger.access_token,
            UPDATE,
            json!({ "id": mine["id"], "input": { "title": "Mine now" } }),
        )
        .await;
    expect_error(&update, "NOT_FOUND");
    let delete = app
        .graphql_as(&stranger.access_token, DELETE, id.clone())
        .await;
    expect_error(&delete, "NOT_FOUND");
    let related = app
        .graphql_as(
            &stranger.access_token,
            "query($id: ID!) { relatedBookmarks(id: $id) { id } }",
            id.clone(),
        )
        .await;
    expect_error(&related, "NOT_FOUND");
    assert!(search(&app, &stranger, json!({ "query": "secret plans" }))
        .await
        .is_empty());
    let tags = app
        .graphql_as(
            &stranger.access_token,
            "{ bookmarkTags { name } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&tags)["bookmarkTags"], json!([]));
    assert_eq!(count(&app, &stranger).await, 0);

    let anonymous = app.graphql(GET, id.clone()).await;
    expect_error(&anonymous, "UNAUTHENTICATED");

    // Untouched, and still mine.
    let still = app.graphql_as(&me.access_token, GET, id).await;
    assert_eq!(data(&still)["bookmark"]["title"], "Secret plans");
}

#[tokio::test]
async fn project_members_read_shared_bookmarks_and_only_editors_change_them() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let viewer = app.register("viewer@example.com", "Viewer").await;
    let editor = app.register("editor@example.com", "Editor").await;
    let outsider = app.register("outsider@example.com", "Outsider").await;
    let project = app.create_project(&owner, "Research").await;
    app.add_member(&owner, &project, &viewer, "VIEWER").await;
    app.add_member(&owner, &project, &editor, "EDITOR").await;

    let shared = created(
        &app,
        &owner,
        json!({ "url": "https://arxiv.org/abs/1706.03762", "title": "Attention Is All You Need", "tags": ["ml"], "projectId": project }),
    )
    .await;
    assert_eq!(shared["projectId"], project);
    let private = created(
        &app,
        &owner,
        json!({ "url": "https://owner.example/diary", "title": "Diary" }),
    )
    .await;

    // A viewer reads it, by id and in the project's listing, but cannot edit it.
    let read = app
        .graphql_as(&viewer.access_token, GET, json!({ "id": shared["id"] }))
        .await;
    let read = &data(&read)["bookmark"];
    assert_eq!(read["title"], "Attention Is All You Need");
    assert_eq!(read["viewerCanEdit"], false);
    assert_eq!(read["project"]["name"], "Research");
    assert_eq!(read["owner"]["email"], "owner@example.com");
    let listed = search(&app, &viewer, json!({ "projectId": project })).await;
    assert_eq!(titles(&listed), vec!["Attention Is All You Need"]);
    let found = search(
        &app,
        &viewer,
        json!({ "projectId": project, "query": "attention" }),
    )
    .await;
    assert_eq!(found.len(), 1);
    let refused = app
        .graphql_as(
            &viewer.access_token,
            UPDATE,
            json!({ "id": shared["id"], "input": { "title": "Renamed" } }),
        )
        .await;
    expect_error(&refused, "FORBIDDEN");
    let refused = app
        .graphql_as(&viewer.access_token, DELETE, json!({ "id": shared["id"] }))
        .await;
    expect_error(&refused, "FORBIDDEN");
    // Unshared bookmarks stay private even from members.
    let hidden = app
        .graphql_as(&viewer.access_token, GET, json!({ "id": private["id"] }))
        .await;
    expect_error(&hidden, "NOT_FOUND");

    // An editor may change it, but not move it out of the project: that is the owner's call.
    let renamed = app
        .graphql_as(
            &editor.access_token,
            UPDATE,
            json!({ "id": shared["id"], "input": { "title": "Transformers paper", "tags": ["ml", "nlp"] } }),
        )
        .await;
    assert_eq!(
        data(&renamed)["updateBookmark"]["title"],
        "Transformers paper"
    );
    let unshare = app
        .graphql_as(
            &editor.access_token,
            UPDATE,
            json!({ "id": shared["id"], "input": { "projectId": null } }),
        )
        .await;
    expect_error(&unshare, "FORBIDDEN");

    // Outsiders see neither the bookmark nor the project's list.
    let outside = app
        .graphql_as(&outsider.access_token, GET, json!({ "id": shared["id"] }))
        .await;
    expect_error(&outside, "NOT_FOUND");
    let outside = app
        .graphql_as(
            &outsider.access_token,
            SEARCH,
            json!({ "projectId": project }),
        )
        .await;
    expect_error(&outside, "NOT_FOUND");
    // Sharing into a project needs EDITOR there.
    let viewer_share = create(
        &app,
        &viewer,
        json!({ "url": "https://viewer.example/", "projectId": project }),
    )
    .await;
    expect_error(&viewer_share, "FORBIDDEN");

    // The owner unshares; the viewer loses sight of it.
    let unshared = app
        .graphql_as(
            &owner.access_token,
            UPDATE,
            json!({ "id": shared["id"], "input": { "projectId": null } }),
        )
        .await;
    assert_eq!(data(&unshared)["updateBookmark"]["projectId"], Value::Null);
    let gone = app
        .graphql_as(&viewer.access_token, GET, json!({ "id": shared["id"] }))
        .await;
    expect_error(&gone, "NOT_FOUND");
    let deleted = app
        .graphql_as(&owner.access_token, DELETE, json!({ "id": shared["id"] }))
        .await;
    assert_eq!(data(&deleted)["deleteBookmark"], shared["id"]);
}

#[tokio::test]
async fn a_chrome_export_imports_with_folders_and_dates() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let report = imported(&app, &me, "NETSCAPE_HTML", CHROME).await;
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(
        (&report["total"], &report["imported"], &report["duplicates"]),
        (&json!(3), &json!(3), &json!(0))
    );
    let github = search(&app, &me, json!({ "query": "github" })).await;
    assert_eq!(github[0]["folder"], json!(["Bookmarks bar", "Work"]));
    assert_eq!(github[0]["createdAt"], "2023-11-03T08:30:50+00:00");
    let bar = search(&app, &me, json!({ "folder": ["Bookmarks bar"] })).await;
    assert_eq!(bar.len(), 2, "the folder filter includes subfolders");
    let folders = app
        .graphql_as(
            &me.access_token,
            "{ bookmarkFolders { name bookmarkCount totalCount children { name path bookmarkCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&folders)["bookmarkFolders"],
        json!([
            { "name": "Bookmarks bar", "bookmarkCount": 1, "totalCount": 2,
              "children": [{ "name": "Work", "path": ["Bookmarks bar", "Work"], "bookmarkCount": 1 }] },
            { "name": "Other bookmarks", "bookmarkCount": 1, "totalCount": 1, "children": [] }
        ])
    );
}

#[tokio::test]
async fn a_firefox_export_brings_tags_notes_and_nested_folders() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let report = imported(&app, &me, "NETSCAPE_HTML", FIREFOX).await;
    assert_eq!(report["imported"], 4);
    let k8s = search(&app, &me, json!({ "tags": ["k8s"] })).await;
    assert_eq!(k8s.len(), 1);
    assert_eq!(k8s[0]["title"], "Kubernetes Documentation");
    assert_eq!(k8s[0]["tags"], json!(["k8s", "ops"]));
    assert_eq!(k8s[0]["folder"], json!(["Dev", "Containers"]));
    let notes = app
        .graphql_as(
            &me.access_token,
            GET.replace("title", "title notes").as_str(),
            json!({ "id": k8s[0]["id"] }),
        )
        .await;
    assert_eq!(
        data(&notes)["bookmark"]["notes"],
        "Concepts, tasks and the API reference"
    );
    let tags = app
        .graphql_as(
            &me.access_token,
            "{ bookmarkTags { name count } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&tags)["bookmarkTags"],
        json!([
            { "name": "ops", "count": 2 },
            { "name": "containers", "count": 1 },
            { "name": "k8s", "count": 1 },
            { "name": "rust", "count": 1 }
        ])
    );
    let toolbar = search(&app, &me, json!({ "folder": ["Bookmarks Toolbar"] })).await;
    assert_eq!(titles(&toolbar), vec!["Getting Started"]);
}

#[tokio::test]
async fn a_safari_export_without_dates_imports_into_its_folders() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let report = imported(&app, &me, "NETSCAPE_HTML", SAFARI).await;
    assert_eq!(report["imported"], 3);
    let reading = search(&app, &me, json!({ "folder": ["Reading List"] })).await;
    assert_eq!(titles(&reading), vec!["WebKit Blog"]);
    let favorites = search(&app, &me, json!({ "folder": ["Favorites"] })).await;
    assert_eq!(favorites.len(), 2);
}

#[tokio::test]
async fn non_ascii_titles_idn_hosts_and_html_entities_survive_import() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let file = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
    <DT><H3>Bücher &amp; Zeitschriften</H3>
    <DL><p>
        <DT><A HREF="https://bücher.example/straße/" ADD_DATE="1500000000">Größte Bücher — 日本語の本</A>
        <DT><A HREF="https://пример.рф/">Пример &quot;сайт&quot;</A>
        <DT><A HREF="https://example.com/?a=1&amp;b=2">Tom &amp; Jerry &lt;3 &#39;quoted&#39; &#x263A;</A>
    </DL><p>
</DL><p>"#;
    let report = imported(&app, &me, "NETSCAPE_HTML", file).await;
    assert_eq!(report["imported"], 3);
    let books = search(&app, &me, json!({ "query": "Bücher" })).await;
    assert_eq!(books[0]["title"], "Größte Bücher — 日本語の本");
    assert_eq!(
        books[0]["url"],
        "https://xn--bcher-kva.example/stra%C3%9Fe/"
    );
    assert_eq!(books[0]["folder"], json!(["Bücher & Zeitschriften"]));
    let russian = search(&app, &me, json!({ "query": "Пример" })).await;
    assert_eq!(russian[0]["url"], "https://xn--e1afmkfd.xn--p1ai/");
    assert_eq!(russian[0]["title"], "Пример \"сайт\"");
    let entities = search(&app, &me, json!({ "query": "jerry" })).await;
    assert_eq!(entities[0]["title"], "Tom & Jerry <3 'quoted' ☺");
    assert_eq!(entities[0]["url"], "https://example.com/?a=1&b=2");
    // The same IDN typed in Unicode is a duplicate of the imported punycode one.
    let again = create(&app, &me, json!({ "url": "https://BÜCHER.example/straße" })).await;
    expect_error(&again, "CONFLICT");
}

#[tokio::test]
async fn an_unterminated_list_imports_what_it_holds() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let file = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n  <DT><H3>Open folder</H3>\n  <DL><p>\n    <DT><A HREF=\"https://one.example/\">One</A>\n    <DT><A HREF=\"https://two.example/\">Two</A>\n";
    let report = imported(&app, &me, "NETSCAPE_HTML", file).await;
    assert_eq!(report["imported"], 2);
    let open = search(&app, &me, json!({ "folder": ["Open folder"] })).await;
    assert_eq!(open.len(), 2);
}

#[tokio::test]
async fn a_report_lists_skipped_items_with_reasons_and_counts_duplicates() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    created(&app, &me, json!({ "url": "https://already.example/" })).await;
    let long = format!("https://example.com/{}", "x".repeat(2_100));
    let file = json!([
        { "url": "https://new.example/", "title": "New", "tags": ["a"], "folder": "Imported/JSON", "notes": "hello", "createdAt": "2021-05-06T07:08:09Z" },
        { "url": "javascript:alert(1)", "title": "Evil" },
        { "url": "https://already.example", "title": "Already there" },
        { "url": "https://new.example/#again", "title": "Repeated in file" },
        { "url": long, "title": "Long" },
        { "url": "http//missing-colon", "title": "Broken" },
        { "url": "data:text/plain,hi", "title": "Data" }
    ]);
    let report = imported(&app, &me, "JSON", &file.to_string()).await;
    assert_eq!(report["total"], 7);
    assert_eq!(report["imported"], 1);
    assert_eq!(report["duplicates"], 2);
    let skipped: Vec<(i64, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["position"].as_i64().unwrap(),
                item["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, "UNSAFE_SCHEME".to_string()),
            (4, "TOO_LONG".to_string()),
            (5, "MALFORMED_URL".to_string()),
            (6, "UNSAFE_SCHEME".to_string()),
        ]
    );
    let new = search(&app, &me, json!({ "query": "new" })).await;
    assert_eq!(new[0]["folder"], json!(["Imported", "JSON"]));
    assert_eq!(new[0]["createdAt"], "2021-05-06T07:08:09+00:00");

    // The report stays readable by id.
    let read = app
        .graphql_as(
            &me.access_token,
            "query($id: ID!) { bookmarkImport(id: $id) { status imported skipped { reason } } }",
            json!({ "id": report["id"] }),
        )
        .await;
    assert_eq!(data(&read)["bookmarkImport"]["imported"], 1);
    let stranger = app.register("stranger@example.com", "Stranger").await;
    let hidden = app
        .graphql_as(
            &stranger.access_token,
            "query($id: ID!) { bookmarkImport(id: $id) { status } }",
            json!({ "id": report["id"] }),
        )
        .await;
    expect_error(&hidden, "NOT_FOUND");
}

#[tokio::test]
async fn a_malformed_file_is_refused_whole_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let broken_json = r#"[{"url": "https://fine.example/"}, {"url": 42}]"#;
    let body = import(&app, &me, "JSON", broken_json.as_bytes()).await;
    let error = expect_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["field"], "file");
    assert!(
        error["message"].as_str().unwrap().contains("item 1"),
        "{error}"
    );
    let not_bookmarks = import(&app, &me, "NETSCAPE_HTML", b"<html><body>Hi</body></html>").await;
    expect_error(&not_bookmarks, "BAD_USER_INPUT");
    let not_utf8 = import(&app, &me, "NETSCAPE_HTML", &[0x3c, 0xff, 0xfe, 0x00]).await;
    expect_error(&not_utf8, "BAD_USER_INPUT");
    assert_eq!(count(&app, &me).await, 0);
}

/// A valid bookmark file of exactly `size` bytes: one bookmark, padded with a comment.
fn file_of_size(size: usize) -> Vec<u8> {
    let head = "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF=\"https://big.example/\">Big</A>\n</DL><p>\n<!-- ";
    let tail = " -->\n";
    let mut file = head.as_bytes().to_vec();
    file.resize(size - tail.len(), b'x');
    file.extend_from_slice(tail.as_bytes());
    file
}

#[tokio::test]
async fn a_ten_mebibyte_file_is_accepted_and_one_byte_more_is_refused() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let limit = 10 * 1024 * 1024;
    let too_big = app
        .upload_graphql(
            &me.access_token,
            IMPORT,
            json!({ "format": "NETSCAPE_HTML" }),
            "big.html",
            &file_of_size(limit + 1),
        )
        .await;
    assert_eq!(too_big.status(), 413);
    let body: Value = too_big.json().await.unwrap();
    expect_error(&body, "BAD_USER_INPUT");
    assert_eq!(count(&app, &me).await, 0);

    let exact = import(&app, &me, "NETSCAPE_HTML", &file_of_size(limit)).await;
    assert_eq!(data(&exact)["importBookmarks"]["imported"], 1);

    // The JSON endpoint keeps its own, smaller limit.
    let huge_json = app
        .post_graphql(
            Some(&me.access_token),
            json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(2 * 1024 * 1024) } }),
        )
        .await;
    assert_eq!(huge_json.status(), 413);
}

fn many_bookmarks(count: usize) -> String {
    let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n");
    for folder in 0..count.div_ceil(1000) {
        file.push_str(&format!("    <DT><H3>Folder {folder}</H3>\n    <DL><p>\n"));
        for item in folder * 1000..((folder + 1) * 1000).min(count) {
            file.push_str(&format!(
                "        <DT><A HREF=\"https://site{item}.example/page/{item}\" ADD_DATE=\"{}\" TAGS=\"t{},bulk\">Bookmark number {item}</A>\n",
                1_600_000_000 + item,
                item % 10
            ));
        }
        file.push_str("    </DL><p>\n");
    }
    file.push_str("</DL><p>\n");
    file
}

const PROGRESS: &str = "subscription($id: ID!) {
  bookmarkImportProgress(importId: $id) { importId status total processed imported duplicates skipped }
}";

#[tokio::test]
async fn fifty_thousand_bookmarks_import_in_the_background_with_live_progress() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let file = many_bookmarks(50_000);
    let started = imported(&app, &me, "NETSCAPE_HTML", &file).await;
    assert_eq!(started["status"], "RUNNING");
    assert_eq!(started["total"], 50_000);

    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", me.access_token) }),
    )
    .await
    .expect("connected");
    socket
        .subscribe("progress", PROGRESS, json!({ "id": started["id"] }))
        .await;
    let mut processed_seen = Vec::new();
    let last = loop {
        let message = socket.next_message().await;
        assert_eq!(message["type"], "next", "{message}");
        let progress = message["payload"]["data"]["bookmarkImportProgress"].clone();
        processed_seen.push(progress["processed"].as_i64().unwrap());
        if progress["status"] != "RUNNING" {
            break progress;
        }
    };
    assert_eq!(socket.next_message().await["type"], "complete");
    assert_eq!(last["status"], "COMPLETED");
    assert_eq!(last["imported"], 50_000);
    assert_eq!(last["processed"], 50_000);
    assert!(
        processed_seen.windows(2).all(|pair| pair[0] <= pair[1]),
        "{processed_seen:?}"
    );

    let report = app
        .graphql_as(
            &me.access_token,
            "query($id: ID!) { bookmarkImport(id: $id) { status total imported duplicates finishedAt } }",
            json!({ "id": started["id"] }),
        )
        .await;
    let report = &data(&report)["bookmarkImport"];
    assert_eq!(report["status"], "COMPLETED");
    assert_eq!(report["imported"], 50_000);
    assert!(report["finishedAt"].is_string());
    let tags = app
        .graphql_as(
            &me.access_token,
            "{ bookmarkTags(first: 1) { name count } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&tags)["bookmarkTags"],
        json!([{ "name": "bulk", "count": 50_000 }])
    );

    // Importing the same file again finds only duplicates.
    let again = imported(&app, &me, "NETSCAPE_HTML", &file).await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", me.access_token) }),
    )
    .await
    .expect("connected");
    socket
        .subscribe("again", PROGRESS, json!({ "id": again["id"] }))
        .await;
    let last = loop {
        let message = socket.next_message().await;
        let progress = message["payload"]["data"]["bookmarkImportProgress"].clone();
        if progress["status"] != "RUNNING" {
            break progress;
        }
    };
    assert_eq!(last["imported"], 0);
    assert_eq!(last["duplicates"], 50_000);
}

#[tokio::test]
async fn progress_of_an_import_on_one_instance_reaches_a_subscriber_on_another() {
    let instance_a = TestApp::builder()
        .with_redis()
        .env("BOOKMARK_IMPORT_BACKGROUND_THRESHOLD", "10")
        .env("BOOKMARK_IMPORT_BATCH_SIZE", "100")
        .spawn()
        .await;
    let instance_b = TestApp::builder()
        .with_redis()
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let me = instance_a.register("me@example.com", "Me").await;
    let started = imported(&instance_a, &me, "NETSCAPE_HTML", &many_bookmarks(3_000)).await;
    assert_eq!(started["status"], "RUNNING");
    let mut socket = GraphqlWs::connect(
        &instance_b.ws_url(),
        json!({ "authorization": format!("Bearer {}", me.access_token) }),
    )
    .await
    .expect("connected");
    socket
        .subscribe("progress", PROGRESS, json!({ "id": started["id"] }))
        .await;
    let last = loop {
        let message = socket.next_message().await;
        assert_eq!(message["type"], "next", "{message}");
        let progress = message["payload"]["data"]["bookmarkImportProgress"].clone();
        if progress["status"] != "RUNNING" {
            break progress;
        }
    };
    assert_eq!(last["status"], "COMPLETED");
    assert_eq!(last["imported"], 3_000);
}

#[tokio::test]
async fn import_of_an_export_reproduces_the_collection_in_both_formats() {
    let app = TestApp::spawn().await;
    let original = app.register("original@example.com", "Original").await;
    imported(&app, &original, "NETSCAPE_HTML", FIREFOX).await;
    imported(&app, &original, "NETSCAPE_HTML", CHROME).await;
    created(
        &app,
        &original,
        json!({ "url": "https://bücher.example/?q=\"x\"&y=<z>", "title": "Quotes \" & <brackets>", "tags": ["odd, tag"], "folder": ["A/B", "C"], "notes": "multi\nline" }),
    )
    .await;
    let expected = collection(&app, &original).await;
    assert_eq!(expected.len(), 8);

    for format in ["NETSCAPE_HTML", "JSON"] {
        let file = export(&app, &original, format).await;
        assert_eq!(file["count"], 8);
        let copy = app
            .register(&format!("copy-{format}@example.com"), "Copy")
            .await;
        let report = imported(&app, &copy, format, file["content"].as_str().unwrap()).await;
        assert_eq!(report["imported"], 8, "{format}: {report}");
        let reproduced = collection(&app, &copy).await;
        if format == "JSON" {
            assert_eq!(reproduced, expected, "{format}");
        } else {
            // A tag holding a comma cannot survive TAGS="a,b": it comes back as two tags.
            let differing: Vec<_> = reproduced.symmetric_difference(&expected).collect();
            assert_eq!(differing.len(), 2, "{format}: {differing:#?}");
            assert!(differing.iter().all(|line| line.contains("Quotes")));
        }
    }
    let html = export(&app, &original, "NETSCAPE_HTML").await;
    assert!(html["content"]
        .as_str()
        .unwrap()
        .starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>"));
    assert_eq!(html["contentType"], "text/html; charset=utf-8");
}

async fn search_corpus(app: &TestApp, me: &TestUser) {
    for input in [
        json!({ "url": "https://d.example/rust-in-url", "title": "Delta", "notes": "nothing here" }),
        json!({ "url": "https://c.example/", "title": "Charlie", "notes": "a long note that mentions rust once" }),
        json!({ "url": "https://b.example/", "title": "Bravo", "tags": ["rust"] }),
        json!({ "url": "https://a.example/", "title": "Rust async book", "tags": ["async"] }),
        json!({ "url": "https://k.example/", "title": "Kubernetes the hard way", "tags": ["ops"], "favorite": true }),
        json!({ "url": "https://k2.example/", "title": "Kubernetes patterns", "tags": ["books"] }),
        json!({ "url": "https://z.example/", "title": "Zebra facts" }),
    ] {
        created(app, me, input).await;
    }
}

#[tokio::test]
async fn search_ranks_title_over_tags_over_notes_over_url() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    search_corpus(&app, &me).await;
    let hits = search(&app, &me, json!({ "query": "rust" })).await;
    assert_eq!(
        titles(&hits),
        vec!["Rust async book", "Bravo", "Charlie", "Delta"]
    );
    let scores: Vec<f64> = hits
        .iter()
        .map(|hit| hit["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] > pair[1]),
        "{scores:?}"
    );
    let snippet = hits[0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>Rust</mark>"), "{snippet}");
    let note = hits[2]["snippet"].as_str().unwrap();
    assert!(note.contains("<mark>rust</mark>"), "{note}");
    // Plain listings carry no score.
    let listed = search(&app, &me, json!({})).await;
    assert_eq!(listed.len(), 7);
    assert_eq!(listed[0]["score"], Value::Null);
}

#[tokio::test]
async fn a_misspelt_query_still_finds_kubernetes() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    search_corpus(&app, &me).await;
    // "kubernets" stems like "Kubernetes"; the other two only trigrams can match.
    for typo in ["kubernets", "kubernettes", "kuberntes"] {
        let hits = search(&app, &me, json!({ "query": typo })).await;
        let mut found = titles(&hits);
        found.sort();
        assert_eq!(
            found,
            vec!["Kubernetes patterns", "Kubernetes the hard way"],
            "{typo}"
        );
    }
    // Filters combine with the (fuzzy) query.
    let favorite = search(&app, &me, json!({ "query": "kubernets", "favorite": true })).await;
    assert_eq!(titles(&favorite), vec!["Kubernetes the hard way"]);
    let tagged = search(
        &app,
        &me,
        json!({ "query": "kubernetes", "tags": ["books"] }),
    )
    .await;
    assert_eq!(titles(&tagged), vec!["Kubernetes patterns"]);
    assert!(search(&app, &me, json!({ "query": "xylophone" }))
        .await
        .is_empty());
}

#[tokio::test]
async fn pages_of_results_follow_stable_cursors_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let file: Vec<Value> = (0..25)
        .map(|n| json!({ "url": format!("https://page{n}.example/"), "title": format!("Guide part {n}"), "notes": if n % 3 == 0 { "guide guide guide" } else { "" }, "createdAt": "2022-01-01T00:00:00Z" }))
        .collect();
    imported(&app, &me, "JSON", &Value::Array(file).to_string()).await;
    for query in [json!("guide"), Value::Null] {
        let everything = search(&app, &me, json!({ "query": query, "first": 100 })).await;
        assert_eq!(everything.len(), 25);
        let mut paged = Vec::new();
        let mut after = Value::Null;
        loop {
            let body = app
                .graphql_as(
                    &me.access_token,
                    SEARCH,
                    json!({ "query": query, "first": 4, "after": after }),
                )
                .await;
            let connection = &data(&body)["bookmarks"];
            paged.extend(
                connection["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|edge| edge["node"]["id"].clone()),
            );
            if connection["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        let all: Vec<Value> = everything.iter().map(|node| node["id"].clone()).collect();
        assert_eq!(paged, all, "query {query}");
    }
    // Pages also run on from full-text matches into fuzzy ones.
    for (n, title) in [
        "Postgres tips",
        "Postgresql tuning",
        "Postgres backups",
        "Postgresql replication",
        "Postgres indexes",
        "Postgresql vacuum",
    ]
    .iter()
    .enumerate()
    {
        created(
            &app,
            &me,
            json!({ "url": format!("https://pg{n}.example/"), "title": title }),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .graphql_as(
                &me.access_token,
                SEARCH,
                json!({ "query": "postgres", "first": 2, "after": after }),
            )
            .await;
        let connection = &data(&body)["bookmarks"];
        for edge in connection["edges"].as_array().unwrap() {
            seen.push(edge["node"]["title"].as_str().unwrap().to_string());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(
        seen[..3].iter().all(|title| title.starts_with("Postgres ")),
        "{seen:?}"
    );
    assert!(
        seen[3..]
            .iter()
            .all(|title| title.starts_with("Postgresql")),
        "{seen:?}"
    );

    let bad = app
        .graphql_as(&me.access_token, SEARCH, json!({ "after": "garbage" }))
        .await;
    expect_error(&bad, "BAD_USER_INPUT");
}

#[tokio::test]
async fn related_bookmarks_rank_shared_tags_first() {
    let app = TestApp::spawn().await;
    let me = app.register("me@example.com", "Me").await;
    let base = created(
        &app,
        &me,
        json!({ "url": "https://base.example/", "title": "Tokio tutorial", "tags": ["rust", "async", "tokio"] }),
    )
    .await;
    for input in [
        json!({ "url": "https://two.example/", "title": "Futures explained", "tags": ["rust", "async"] }),
        json!({ "url": "https://one.example/", "title": "Cargo guide", "tags": ["rust"] }),
        json!({ "url": "https://text.example/", "title": "Tokio tutorial part two" }),
        json!({ "url": "https://none.example/", "title": "Gardening", "tags": ["plants"] }),
    ] {
        created(&app, &me, input).await;
    }
    let body = app
        .graphql_as(
            &me.access_token,
            "query($id: ID!) { relatedBookmarks(id: $id, first: 5) { title } }",
            json!({ "id": base["id"] }),
        )
        .await;
    let related: Vec<&str> = data(&body)["relatedBookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        related,
        vec![
            "Futures explained",
            "Cargo guide",
            "Tokio tutorial part two"
        ]
    );
}

#[tokio::test]
async fn an_import_abandoned_by_a_stopped_server_reads_as_failed_not_running_forever() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let app = TestApp::builder()
        .env("BOOKMARK_IMPORT_BACKGROUND_THRESHOLD", "10")
        .spawn()
        .await;
    let me = app.register("me@example.com", "Me").await;
    let running = imported(&app, &me, "NETSCAPE_HTML", &many_bookmarks(20)).await;
    assert_eq!(running["status"], "RUNNING");
    // What a server killed mid-import leaves behind: a RUNNING row nobody works on.
    let mut database = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    diesel::sql_query(
        "INSERT INTO bookmark_imports (id, owner_id, format, status, total, created_at)
         SELECT gen_random_uuid(), id, 'JSON', 'RUNNING', 5000, now() - interval '1 hour'
         FROM users WHERE email = 'me@example.com'",
    )
    .execute(&mut database)
    .await
    .unwrap();
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: uuid::Uuid,
    }
    let orphan = diesel::sql_query(
        "SELECT id FROM bookmark_imports WHERE created_at < now() - interval '1 minute'",
    )
    .get_result::<Row>(&mut database)
    .await
    .unwrap();
    use base64::Engine;
    let orphan_id = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("BookmarkImport:{}", orphan.id));
    let report = app
        .graphql_as(
            &me.access_token,
            "query($id: ID!) { bookmarkImport(id: $id) { status error imported } }",
            json!({ "id": orphan_id }),
        )
        .await;
    let report = &data(&report)["bookmarkImport"];
    assert_eq!(report["status"], "FAILED");
    assert!(report["error"].as_str().unwrap().contains("interrupted"));
    // A subscriber to it gets the final state at once instead of waiting forever.
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", me.access_token) }),
    )
    .await
    .expect("connected");
    socket
        .subscribe("orphan", PROGRESS, json!({ "id": orphan_id }))
        .await;
    let message = socket.next_message().await;
    assert_eq!(
        message["payload"]["data"]["bookmarkImportProgress"]["status"],
        "FAILED"
    );
    // The genuine (fresh, quickly finished) import was not touched.
    let genuine = app
        .graphql_as(
            &me.access_token,
            "query($id: ID!) { bookmarkImport(id: $id) { status imported } }",
            json!({ "id": running["id"] }),
        )
        .await;
    assert_ne!(data(&genuine)["bookmarkImport"]["status"], "FAILED");
}

#[tokio::test]
async fn a_file_over_the_item_limit_is_refused_whole_and_progress_is_private() {
    let app = TestApp::builder()
        .env("BOOKMARK_IMPORT_MAX_ITEMS", "50")
        .env("BOOKMARK_IMPORT_BACKGROUND_THRESHOLD", "10")
        .spawn()
        .await;
    let me = app.register("me@example.com", "Me").await;
    let body = import(&app, &me, "NETSCAPE_HTML", many_bookmarks(51).as_bytes()).await;
    let error = expect_error(&body, "BAD_USER_INPUT");
    assert!(
        error["message"].as_str().unwrap().contains("at most 50"),
        "{error}"
    );
    assert_eq!(count(&app, &me).await, 0);

    let started = imported(&app, &me, "NETSCAPE_HTML", &many_bookmarks(50)).await;
    assert_eq!(started["status"], "RUNNING");
    let stranger = app.register("stranger@example.com", "Stranger").await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", stranger.access_token) }),
    )
    .await
    .expect("connected");
    socket
        .subscribe("peek", PROGRESS, json!({ "id": started["id"] }))
        .await;
    let message = socket.next_message().await;
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{message}"
    );
    assert_eq!(message["payload"]["data"], Value::Null);
}
