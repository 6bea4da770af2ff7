//! Search with PostgreSQL's full-text search: a `tsvector` per index row ('simple': words as
//! they are, lower-cased) of `search_index` and `summary_search`, ranked by `ts_rank`, the
//! snippet by `ts_headline`.

use super::PgDatabase;
use crate::domain::Scope;
use crate::search::query::{SearchQuery, Term};
use crate::search::{MARK_END, MARK_START, SearchHit, SearchIndex};

#[async_trait::async_trait]
impl SearchIndex for PgDatabase {
    async fn search(&self, query: &SearchQuery, scope: Scope<'_>, limit: i64) -> crate::Result<Vec<SearchHit>> {
        // Each term is a bound value inside a function that reads it as plain words, so nothing
        // typed is tsquery syntax; the terms are ANDed.
        let terms: Vec<String> = query
            .terms
            .iter()
            .enumerate()
            .map(|(i, term)| {
                let n = i + 4;
                match term {
                    Term::Word(_) => format!("plainto_tsquery('simple', ${n})"),
                    Term::Phrase(_) => format!("phraseto_tsquery('simple', ${n})"),
                    Term::Prefix(_) => format!("to_tsquery('simple', ${n})"),
                }
            })
            .collect();
        let sql = format!(
            "WITH q AS (SELECT {} AS query), \
             rows AS ( \
                 SELECT clip_id, round_id, start_ms, reply_id, FALSE AS summary, body, document FROM search_index \
                 UNION ALL \
                 SELECT clip_id, NULL, start_ms, NULL, TRUE, body, document FROM summary_search) \
             SELECT rows.clip_id, rows.round_id, rows.start_ms, rows.reply_id, rows.summary, \
                 ts_headline('simple', rows.body, q.query, \
                     'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=16, MinWords=6, MaxFragments=1, \
                      FragmentDelimiter=…') AS snippet \
             FROM rows CROSS JOIN q LEFT JOIN clips ON clips.id = rows.clip_id \
             LEFT JOIN checkin_rounds AS rounds ON rounds.id = rows.round_id \
             LEFT JOIN checkins ON checkins.id = rounds.checkin_id \
             WHERE rows.document @@ q.query \
                 AND (clips.workspace_id = $1 OR ($2 AND clips.id IS NOT NULL AND clips.workspace_id IS NULL) \
                     OR checkins.workspace_id = $1) \
             ORDER BY ts_rank(rows.document, q.query) DESC, rows.start_ms NULLS FIRST \
             LIMIT $3",
            terms.join(" && ")
        );
        let mut select = sqlx::query_as(&sql)
            .bind(scope.workspace_id)
            .bind(scope.with_ownerless)
            .bind(limit);
        for term in &query.terms {
            select = select.bind(match term {
                Term::Word(text) | Term::Phrase(text) => text.clone(),
                Term::Prefix(text) => prefix_query(text),
            });
        }
        Ok(select.fetch_all(&self.pool).await?)
    }
}

/// A prefix term as tsquery text: its words (letters and digits only, so nothing in it is
/// syntax) in a row, the last one a prefix: "thurs" → `thurs:*`, "q3-bud" → `q3 <-> bud:*`.
pub fn prefix_query(text: &str) -> String {
    // Lower-casing can add characters that are no letters ("İ" becomes "i" and a combining
    // dot): they are dropped, so that only letters and digits reach the query.
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| {
            w.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    match words.split_last() {
        Some((last, before)) => {
            let mut parts = before.to_vec();
            parts.push(format!("{last}:*"));
            parts.join(" <-> ")
        }
        // `SearchQuery` keeps only terms with a letter or digit.
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_words_and_nothing_else() {
        assert_eq!(prefix_query("Thurs"), "thurs:*");
        assert_eq!(prefix_query("q3-bud"), "q3 <-> bud:*");
        assert_eq!(prefix_query("a'b:*|!c"), "a <-> b <-> c:*");
        // Found by scripts/fuzz: "İ" lower-cases to "i" and a combining dot.
        assert_eq!(prefix_query("İstanbul"), "istanbul:*");
    }
}
