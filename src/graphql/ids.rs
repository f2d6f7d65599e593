//! Opaque, globally unique object ids: base64url of `<Type>:<uuid>`. Clients must treat them as
//! opaque; the type prefix lets `node(id)` and argument parsing reject an id of the wrong kind.

use async_graphql::ID;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use uuid::Uuid;

use crate::error::{bad_input, AppResult};

pub fn encode_id(type_name: &str, id: Uuid) -> ID {
    // Without `format!`: a board page encodes a thousand ids, and formatting grew each string
    // piece by piece.
    let mut raw = Vec::with_capacity(type_name.len() + 1 + uuid::fmt::Hyphenated::LENGTH);
    raw.extend_from_slice(type_name.as_bytes());
    raw.push(b':');
    raw.extend_from_slice(
        id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    ID(URL_SAFE_NO_PAD.encode(raw))
}

/// Splits a global id into its type name and uuid.
pub fn decode_any_id(field: &str, id: &ID) -> AppResult<(String, Uuid)> {
    let malformed = || bad_input(field, "is not a valid id");
    let bytes = URL_SAFE_NO_PAD
        .decode(id.as_str())
        .map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (type_name, raw_uuid) = text.split_once(':').ok_or_else(malformed)?;
    let uuid = Uuid::parse_str(raw_uuid).map_err(|_| malformed())?;
    Ok((type_name.to_string(), uuid))
}

/// Decodes an id that must name an object of `type_name`.
pub fn decode_id(type_name: &str, field: &str, id: &ID) -> AppResult<Uuid> {
    let (found_type, uuid) = decode_any_id(field, id)?;
    if found_type != type_name {
        return Err(bad_input(field, format!("is not a {type_name} id")));
    }
    Ok(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_other_types() {
        let uuid = Uuid::new_v4();
        let id = encode_id("User", uuid);
        assert_eq!(decode_id("User", "id", &id).unwrap(), uuid);
        assert!(decode_id("Task", "id", &id).is_err());
        assert!(decode_id("User", "id", &ID("not-an-id".into())).is_err());
        let expected = URL_SAFE_NO_PAD.encode(format!("User:{uuid}"));
        assert_eq!(id.0, expected, "the encoding clients already hold");
    }
}
