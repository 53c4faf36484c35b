-- The query log tells a refused query from one that ran (issue 14): `stage` is
-- how far the text got through the seal (edge: refused before any engine call;
-- parse: the engine's parser, given the text as a value; ast; tree; run), and
-- `ran` is true only when the user's statement itself was executed. Rows from
-- before this migration say '' and false: they cannot tell.
ALTER TABLE sql_query_log ADD COLUMN IF NOT EXISTS stage LowCardinality(String) DEFAULT '' AFTER outcome;
ALTER TABLE sql_query_log ADD COLUMN IF NOT EXISTS ran Bool DEFAULT false AFTER stage;
