//! How `outcomes.feature_codes` and `run_spec_prefixes.feature_codes` spell a list of feature
//! ids: one character per feature whose Unicode code point is the feature id (migration 0009).
//!
//! The JSON arrays this replaces cost 3–4 bytes per feature; a code point costs 1 byte below
//! 128 and 2 below 2048, and SQL reads it back with `unicode(substr(codes, k, 1))` (the views'
//! `outcome_columns`). Id 0 is the target, never a spec column, so no code is NUL; ids from
//! the surrogate block on have no UTF-8 spelling, hence [`MAX_FEATURE_ID`].

/// The largest feature id a run may record (code points from 0xD800 are surrogates).
pub const MAX_FEATURE_ID: u32 = 0xD7FF;

/// Appends the codes of `ids` to `out`. Ids are checked when the run is created
/// ([`check_ids`]) and a spec never holds the target (id 0), so an id without a code is a bug.
pub(crate) fn encode(ids: &[u32], out: &mut String) {
    for &id in ids {
        out.push(
            char::from_u32(id)
                .filter(|_| id != 0)
                .expect("feature id has a code"),
        );
    }
}

/// The feature ids spelled by `codes`, appended to `out`.
pub(crate) fn decode(codes: &str, out: &mut Vec<u32>) {
    out.extend(codes.chars().map(u32::from));
}

/// An error naming the first id that has no code.
pub(crate) fn check_ids(ids: impl IntoIterator<Item = u32>) -> Result<(), String> {
    match ids.into_iter().find(|&id| id > MAX_FEATURE_ID) {
        Some(id) => Err(format!(
            "feature id {id} is beyond the journal's limit of {MAX_FEATURE_ID} features per run; \
             split the search into smaller catalogues (fewer variables or transforms)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_cost_one_or_two_bytes_below_2048() {
        let ids = [1, 7, 127, 128, 2047, 2048, MAX_FEATURE_ID];
        let mut text = String::new();
        encode(&ids, &mut text);
        assert_eq!(text.chars().count(), ids.len());
        assert_eq!(text.len(), 1 + 1 + 1 + 2 + 2 + 3 + 3);
        let mut back = Vec::new();
        decode(&text, &mut back);
        assert_eq!(back, ids);
    }

    #[test]
    fn ids_without_a_code_are_refused_by_name() {
        assert!(check_ids([0, 1, 2, MAX_FEATURE_ID]).is_ok());
        let e = check_ids([5, MAX_FEATURE_ID + 1]).unwrap_err();
        assert!(e.contains(&(MAX_FEATURE_ID + 1).to_string()), "{e}");
    }

    #[test]
    fn sqlite_reads_the_codes_back_with_unicode_and_substr() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let ids = [3u32, 200, 40_000, 1];
        let mut text = String::new();
        encode(&ids, &mut text);
        for (k, id) in ids.iter().enumerate() {
            let got: u32 = conn
                .query_row("SELECT unicode(substr(?1, ?2, 1))", (&text, k + 1), |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(got, *id);
        }
        let n: usize = conn
            .query_row("SELECT length(?1)", [&text], |r| r.get(0))
            .unwrap();
        assert_eq!(n, ids.len());
    }
}
