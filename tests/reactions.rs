//! The chemistry sandbox through the API: predictions, the permanent cache, world firsts under
//! concurrency, and the live discovery feed.

mod common;

use catalyst::events::bus::Topic;
use common::{data, expect_error, ws::GraphqlWs, TestApp};
use serde_json::{json, Value};

const PREDICT: &str = "mutation Predict($input: PredictReactionInput!) {
  predictReaction(input: $input) {
    id equation reactionClass cached enthalpyKj exothermic spontaneous explanation environment
    products { formula state coefficient } effects { kind compound gas color }
    worldFirst { kind subject discoverer { email } }
  }
}";

fn mix(chemicals: &[&str]) -> Value {
    json!({ "input": { "reactants": chemicals.iter().map(|c| json!({ "chemical": c })).collect::<Vec<_>>() } })
}

#[tokio::test]
async fn a_prediction_is_balanced_thermochemistry_and_the_same_mix_is_served_from_the_cache() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    let first = app
        .graphql_as(&player.access_token, PREDICT, mix(&["methane", "O2"]))
        .await;
    let first = &data(&first)["predictReaction"];
    assert_eq!(first["reactionClass"], "COMBUSTION");
    assert_eq!(first["cached"], false);
    assert_eq!(first["exothermic"], true);
    // CH4 + 2 O2 -> CO2 + 2 H2O(l): ΔH° = -890 kJ (textbook), within 5 %.
    let enthalpy = first["enthalpyKj"].as_f64().unwrap();
    assert!((enthalpy + 890.0).abs() <= 890.0 * 0.05, "{enthalpy}");
    assert!(first["equation"].as_str().unwrap().contains("CO2"));
    assert!(!first["worldFirst"].as_array().unwrap().is_empty());

    // Same mix, written differently: same cache entry, same answer, no new world first.
    let again = app
        .graphql_as(&player.access_token, PREDICT, mix(&["O2", "CH4"]))
        .await;
    let again = &data(&again)["predictReaction"];
    assert_eq!(again["cached"], true);
    assert_eq!(again["equation"], first["equation"]);
    assert_eq!(again["explanation"], first["explanation"]);
    assert_eq!(again["worldFirst"], json!([]));
    assert_ne!(again["id"], first["id"]);

    let history = app
        .graphql_as(&player.access_token, "{ myReactions { edges { node { equation cached } } } reactionStats { reactionsRun discoveries } }", json!({}))
        .await;
    assert_eq!(
        data(&history)["myReactions"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(data(&history)["reactionStats"]["reactionsRun"], 2);
    let one = app
        .graphql_as(
            &player.access_token,
            "query($id: ID!) { reaction(id: $id) { equation } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(data(&one)["reaction"]["equation"], first["equation"]);
    let other = app.register("other@example.com", "Other").await;
    let hidden = app
        .graphql_as(
            &other.access_token,
            "query($id: ID!) { reaction(id: $id) { equation } }",
            json!({ "id": first["id"] }),
        )
        .await;
    expect_error(&hidden, "NOT_FOUND");
}

#[tokio::test]
async fn precipitation_claims_the_effect_and_bad_inputs_are_explained() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    let body = app
        .graphql_as(&player.access_token, PREDICT, mix(&["AgNO3", "NaCl"]))
        .await;
    let outcome = &data(&body)["predictReaction"];
    assert_eq!(outcome["reactionClass"], "DOUBLE_DISPLACEMENT");
    assert!(outcome["effects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "PRECIPITATE" && e["compound"] == "AgCl"));
    let subjects: Vec<&str> = outcome["worldFirst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.contains(&"PRECIPITATE:AgCl"), "{subjects:?}");

    let unknown = app
        .graphql_as(
            &player.access_token,
            PREDICT,
            mix(&["sodium chlorid", "water"]),
        )
        .await;
    let error = expect_error(&unknown, "BAD_USER_INPUT");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("sodium chlorid"));
    assert!(
        !error["extensions"]["suggestions"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{error}"
    );
    let too_many = app
        .graphql_as(
            &player.access_token,
            PREDICT,
            mix(&["H2", "O2", "N2", "Cl2", "Na", "K", "Ca"]),
        )
        .await;
    expect_error(&too_many, "BAD_USER_INPUT");
    let none = app
        .graphql_as(&player.access_token, PREDICT, mix(&[]))
        .await;
    expect_error(&none, "BAD_USER_INPUT");
    expect_error(
        &app.graphql(PREDICT, mix(&["H2", "O2"])).await,
        "UNAUTHENTICATED",
    );

    let copper = app
        .graphql_as(&player.access_token, PREDICT, mix(&["Cu", "HCl"]))
        .await;
    let copper = &data(&copper)["predictReaction"];
    assert_eq!(copper["reactionClass"], "NO_REACTION");
    assert!(!copper["explanation"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn concurrent_first_predictions_share_one_cache_row_and_one_discoverer() {
    let app = TestApp::builder()
        .env("DATABASE_POOL_SIZE", "10")
        .spawn()
        .await;
    let mut players = Vec::new();
    for i in 0..8 {
        players.push(app.register(&format!("p{i}@example.com"), "P").await);
    }
    let attempts = players.iter().map(|player| {
        let app = &app;
        async move {
            app.graphql_as(&player.access_token, PREDICT, mix(&["Zn", "HCl"]))
                .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let outcomes: Vec<&Value> = results
        .iter()
        .map(|body| &data(body)["predictReaction"])
        .collect();
    let fresh = outcomes.iter().filter(|o| o["cached"] == false).count();
    assert_eq!(fresh, 1, "exactly one request computed the outcome");
    assert!(outcomes
        .iter()
        .all(|o| o["equation"] == outcomes[0]["equation"]));
    let claimed: Vec<&Value> = outcomes
        .iter()
        .flat_map(|o| o["worldFirst"].as_array().unwrap())
        .collect();
    let reaction_firsts = claimed.iter().filter(|d| d["kind"] == "REACTION").count();
    assert_eq!(reaction_firsts, 1, "{claimed:?}");
    let discoverers: std::collections::HashSet<&str> = claimed
        .iter()
        .map(|d| d["discoverer"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        discoverers.len(),
        1,
        "one player discovered everything this mix can claim"
    );

    let feed = app
        .graphql_as(
            &players[0].access_token,
            "{ discoveries(first: 50) { edges { node { subject } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data(&feed)["discoveries"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        claimed.len()
    );
}

#[tokio::test]
async fn world_firsts_are_announced_live_to_every_player() {
    let app = TestApp::spawn().await;
    let watcher = app.register("watcher@example.com", "Watcher").await;
    let player = app.register("player@example.com", "Player").await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", watcher.access_token) }),
    )
    .await
    .unwrap();
    socket
        .subscribe(
            "feed",
            "subscription { discoveryMade { kind subject discoverer { email } } }",
            json!({}),
        )
        .await;
    // The feed is live from the moment its stream listens on the bus.
    app.wait_for_subscribers(Topic::Discoveries, 1).await;
    data(
        &app.graphql_as(&player.access_token, PREDICT, mix(&["H2", "O2"]))
            .await,
    );
    let message = socket.next_message().await;
    let discovery = &message["payload"]["data"]["discoveryMade"];
    assert_eq!(
        discovery["discoverer"]["email"], "player@example.com",
        "{message}"
    );
    assert_eq!(discovery["kind"], "REACTION");
}

#[tokio::test]
async fn the_catalogue_is_searchable() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    let salt = app
        .graphql_as(&player.access_token, "{ chemical(formula: \"table salt\") { formula name molarMass enthalpyOfFormationKj dataSource } }", json!({}))
        .await;
    let salt = &data(&salt)["chemical"];
    assert_eq!(salt["formula"], "NaCl");
    assert!((salt["molarMass"].as_f64().unwrap() - 58.44).abs() < 0.01);
    assert!((salt["enthalpyOfFormationKj"].as_f64().unwrap() + 411.2).abs() < 1.0);
    let page = app
        .graphql_as(&player.access_token, "{ chemicals(search: \"chloride\", first: 3) { edges { cursor node { formula } } pageInfo { hasNextPage endCursor } } }", json!({}))
        .await;
    let page = &data(&page)["chemicals"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 3);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let missing = app
        .graphql_as(
            &player.access_token,
            "{ chemical(formula: \"unobtainium\") { formula } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&missing)["chemical"], Value::Null);
}

#[tokio::test]
async fn every_chemical_names_the_table_its_numbers_come_from() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    const CHEMICAL: &str = "query($formula: String!) { chemical(formula: $formula) {
        gibbsOfFormationKj gibbsOfFormationComputed thermoSource thermoSourceCitation dataSource } }";
    let water = app
        .graphql_as(
            &player.access_token,
            CHEMICAL,
            json!({ "formula": "water" }),
        )
        .await;
    let water = &data(&water)["chemical"];
    assert_eq!(water["thermoSource"], "OPENSTAX_CHEMISTRY_2E");
    assert_eq!(water["dataSource"], "OS2e", "the old field still answers");
    assert!(water["thermoSourceCitation"]
        .as_str()
        .unwrap()
        .contains("Appendix G"));
    // Al2S3 carried a ΔG°f 221 kJ/mol off its own ΔH°f and S°; the CRC gives ΔH°f and S° only.
    let sulfide = app
        .graphql_as(
            &player.access_token,
            CHEMICAL,
            json!({ "formula": "Al2S3" }),
        )
        .await;
    let sulfide = &data(&sulfide)["chemical"];
    assert_eq!(sulfide["thermoSource"], "CRC_HANDBOOK");
    assert_eq!(sulfide["gibbsOfFormationComputed"], true);
    let gibbs = sulfide["gibbsOfFormationKj"].as_f64().unwrap();
    assert!((gibbs + 713.3).abs() < 0.1, "{gibbs}");
    let sulfur = app
        .graphql_as(&player.access_token, CHEMICAL, json!({ "formula": "S" }))
        .await;
    assert_eq!(
        data(&sulfur)["chemical"]["thermoSource"],
        "CODATA_KEY_VALUES"
    );
}

const PREDICT_IN_DETAIL: &str = "mutation Predict($input: PredictReactionInput!) {
  predictReaction(input: $input) {
    equation netIonicEquation
    amounts {
      extentMol limitingReactant
      reactants { formula suppliedMol leftMol leftGrams limiting }
      products { formula mol grams }
    }
    spontaneity {
      temperatureK gibbsKj spontaneous equilibriumConstant log10EquilibriumConstant
      signChangeTemperatureK spontaneousAboveSignChange
    }
  }
}";

#[tokio::test]
async fn grams_in_give_the_limiting_reagent_the_excess_and_the_theoretical_yield() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    let input = json!({ "input": { "reactants": [
        { "chemical": "silver nitrate", "amount": 16.987, "unit": "GRAMS" },
        { "chemical": "NaCl", "amount": 2.922, "unit": "GRAMS" },
    ] } });
    let run = app
        .graphql_as(&player.access_token, PREDICT_IN_DETAIL, input)
        .await;
    let run = &data(&run)["predictReaction"];
    assert_eq!(run["netIonicEquation"], "Ag+(aq) + Cl-(aq) → AgCl(s)");
    let amounts = &run["amounts"];
    assert_eq!(amounts["limitingReactant"], "NaCl");
    let silver_chloride = amounts["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["formula"] == "AgCl")
        .unwrap();
    // 0.05 mol of NaCl → 0.05 mol AgCl × 143.32 g/mol.
    let grams = silver_chloride["grams"].as_f64().unwrap();
    assert!((grams - 7.166).abs() < 0.01, "{grams}");
    let nitrate = amounts["reactants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["formula"] == "AgNO3")
        .unwrap();
    assert_eq!(nitrate["limiting"], false);
    let left = nitrate["leftGrams"].as_f64().unwrap();
    assert!((left - 8.494).abs() < 0.01, "{left}");
    let spontaneity = &run["spontaneity"];
    assert_eq!(spontaneity["temperatureK"], 298.15);
    assert_eq!(spontaneity["spontaneous"], true);
    assert!(spontaneity["log10EquilibriumConstant"].as_f64().unwrap() > 5.0);

    // An old call (moles, no unit) is unchanged, and a bad amount is still the player's error.
    let old = app
        .graphql_as(
            &player.access_token,
            PREDICT_IN_DETAIL,
            json!({ "input": { "reactants": [
            { "chemical": "HCl", "amount": 1.0 }, { "chemical": "NaOH", "amount": 2.0 } ] } }),
        )
        .await;
    let old = &data(&old)["predictReaction"];
    assert_eq!(old["amounts"]["limitingReactant"], "HCl");
    assert_eq!(old["netIonicEquation"], "H+(aq) + OH-(aq) → H2O(l)");
    let negative = app
        .graphql_as(
            &player.access_token,
            PREDICT_IN_DETAIL,
            json!({ "input": { "reactants": [
            { "chemical": "HCl", "amount": -3.0, "unit": "GRAMS" }, { "chemical": "NaOH" } ] } }),
        )
        .await;
    expect_error(&negative, "BAD_USER_INPUT");
}

#[tokio::test]
async fn spontaneity_is_judged_at_the_temperature_of_the_environment() {
    let app = TestApp::spawn().await;
    let player = app.register("player@example.com", "Player").await;
    let input = json!({ "input": { "reactants": [{ "chemical": "CaCO3" }], "environment": "HIGH_TEMPERATURE" } });
    let run = app
        .graphql_as(&player.access_token, PREDICT_IN_DETAIL, input)
        .await;
    let run = &data(&run)["predictReaction"];
    assert_eq!(
        run["netIonicEquation"],
        Value::Null,
        "no solution in a furnace"
    );
    assert_eq!(run["amounts"], Value::Null, "no amounts given");
    let spontaneity = &run["spontaneity"];
    assert_eq!(spontaneity["temperatureK"], 1073.15);
    // CaCO3 → CaO + CO2: ΔH° ≈ +179 kJ, ΔS° ≈ +161 J/K, so ΔG changes sign near 1110 K.
    let turning = spontaneity["signChangeTemperatureK"].as_f64().unwrap();
    assert!((1080.0..1140.0).contains(&turning), "{turning}");
    assert_eq!(spontaneity["spontaneousAboveSignChange"], true);
    let gibbs = spontaneity["gibbsKj"].as_f64().unwrap();
    let k = spontaneity["equilibriumConstant"].as_f64().unwrap();
    let expected = (-gibbs * 1000.0 / (8.314_462_618 * 1073.15)).exp();
    assert!((k - expected).abs() <= expected * 0.01, "{k} vs {expected}");
}
