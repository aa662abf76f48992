-- Dead sessions in heartbeat_runs, computed where the history lives (Postgres, or a
-- distributed Postgres such as Citus: every window is partitioned by company, agent and
-- session, so it runs shard-local when heartbeat_runs is distributed by company_id). The same
-- figures as the native audit's report.
--
-- A run is dead exactly as the heartbeat's circuit breaker defines it: liveness_state is
-- 'failed'; usage_json is an object whose sessionReused is true and whose persistedSessionId
-- is the run's session (session_id_after); and its three token counts (raw value when it is a
-- finite number as JSON.parse reads it, else the normalized one, else 0; floored; at least 0)
-- are all 0.
-- An unseen failed run is one the breaker cannot see: liveness_state 'failed', resuming its
-- session (session_id_before = session_id_after), and no usage record (usage_json null).
--
-- The breaker's opt-in wider rule (its deadLivenessStates and countUnrecordedResumes options,
-- the audit's --dead-states and --count-unrecorded-resumes) is set in dead_session_scope too:
-- dead_liveness_states lists the liveness states that can make a run dead (NULL: 'failed'
-- only), and count_unrecorded_resumes true counts each unseen run as dead (NULL: false). The
-- unseen runs are then those in any listed state; with count_unrecorded_resumes none are left.
-- dead_session_rule shows the rule the views were refreshed under.
--
-- Rotations: the run that follows a rotation records, in its context_snapshot, the session
-- rotated (paperclipPreviousSessionId) and why (paperclipSessionRotationReason). A session
-- rotated after its last run will not be resumed: it is not dead now (dead_sessions says when
-- and by what kind of rule: fork_breaker, wider_breaker, run_limit, raw_input, session_age,
-- other). dead_session_rotations lists them; totals and days count them by kind.
--
-- Everything lives in a schema of its own, paperclip_session_audit, beside the tables Paperclip's
-- migrations manage (it reads heartbeat_runs as the search path finds it when it is installed):
--
--   drop schema paperclip_session_audit cascade;                 -- removes all of it
--
-- One pass: heartbeat_runs is read once, when the materialized view dead_session_runs is
-- refreshed (it keeps a few narrow columns a run, classified); every other view reads that.
--
--   \i sql/dead_sessions.sql                                     -- creates the views, reads the table
--   set search_path to paperclip_session_audit, public;          -- or name the schema in each query
--   refresh materialized view dead_session_runs;                 -- later: read the table again
--   select * from dead_sessions where dead_now;                  -- sessions the breaker would rotate now
--   select * from dead_session_rotations order by rotated_at;    -- the rotations the history records
--   select * from dead_session_what_if order by threshold;       -- what thresholds 1..10 would have done (hypothetical)
--   select * from dead_session_what_if_wider order by threshold; -- the same, counting unseen failed runs
--   select * from dead_session_days order by day;                -- runs, dead runs and rotations per UTC day
--
-- One company, or runs since a time (as the audit's --company and --since): set the scope, then
-- refresh. With an index that starts with company_id (Paperclip's own
-- heartbeat_runs_company_liveness_idx does), a company's refresh reads that company's rows only;
-- for --since alone, an index on created_at does the same:
--
--   create index if not exists heartbeat_runs_created_at_idx on heartbeat_runs (created_at);
--   insert into dead_session_scope values ('<company id>', '2026-06-01T00:00:00Z');
--   refresh materialized view dead_session_runs;
--   delete from dead_session_scope; refresh materialized view dead_session_runs;  -- the whole table again
--
-- What a wider breaker would have rotated, before turning it on (all companies, all times):
--
--   insert into dead_session_scope (dead_liveness_states, count_unrecorded_resumes)
--     values (array['failed', 'empty_response'], true);
--   refresh materialized view dead_session_runs;

begin;
create schema if not exists paperclip_session_audit;
-- For this transaction only: what it creates goes into the schema, and heartbeat_runs is found
-- where it was before (the caller's search path follows).
select set_config('search_path', 'paperclip_session_audit, ' || current_setting('search_path'), true);

-- An earlier version of this file put its objects into the caller's schema (public, for most):
-- they go, when they are this file's (the scope table too: set it again in the new schema).
do $$
declare
  old text;
begin
  for old in select n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where c.relname = 'dead_session_runs' and n.nspname <> 'paperclip_session_audit' loop
    execute format('drop view if exists %I.dead_session_totals, %I.dead_session_what_if_by_rule, %I.dead_session_streak_lengths, %I.dead_session_days, %I.dead_session_rule cascade', old, old, old, old, old);
    execute format('drop materialized view if exists %I.dead_session_runs cascade', old);
    execute format('drop view if exists %I.dead_session_runs cascade', old);
    execute format('drop table if exists %I.dead_session_scope', old);
    execute format('drop function if exists %I.dead_session_json_number(jsonb)', old);
  end loop;
end $$;

-- What the report covers, and the rule it counts by: no row (or NULLs) for the whole table under
-- the breaker's own rule; otherwise the first row's company, since and rule.
create table if not exists dead_session_scope (company_id text, since timestamptz);
alter table dead_session_scope add column if not exists dead_liveness_states text[],
                               add column if not exists count_unrecorded_resumes boolean;

drop materialized view if exists dead_session_runs cascade;

-- A JSON number as JSON.parse reads it (the nearest double, rounding half to even), and NULL
-- when it is no number or not finite (the breaker then reads the next key, or 0): 1e400 is
-- Infinity there, so not a count; 0.99999999999999999 is 1, so not 0 tokens. Exact numerics
-- would call the first a huge count and the second 0. The bounds are exact: from
-- 2^1024 - 2^970 up a number rounds to Infinity, and up to 2^-1075 it rounds to 0 (where
-- PostgreSQL's own conversion would raise an out-of-range error instead).
create or replace function dead_session_json_number(v jsonb) returns double precision
language sql immutable parallel safe as $$
  select case when jsonb_typeof(v) is distinct from 'number' then null
              when abs(n) >= 179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792 then null
              when abs(n) * 2::numeric ^ 1075 <= 1 then 0
              else n::double precision end
    from (select case when jsonb_typeof(v) = 'number' then (v #>> '{}')::numeric end as n) q
$$;


create materialized view dead_session_runs as
with scope as (select company_id, since, dead_liveness_states, count_unrecorded_resumes from dead_session_scope limit 1),
rule as (select coalesce((select dead_liveness_states from scope), array['failed']) as states,
                coalesce((select count_unrecorded_resumes from scope), false) as unrecorded),
scoped as (
  select h.company_id, h.agent_id, n.session_id, h.session_id_before, h.created_at, h.id, h.liveness_state,
         h.usage_json as u, k.*, n.rotated_session_id, n.rotation_reason
    from heartbeat_runs h
    -- every key the breaker reads, taken at once: a usage record stored compressed is then
    -- decompressed once a run, not once a key
    left join lateral jsonb_to_record(case when jsonb_typeof(h.usage_json) = 'object' then h.usage_json end)
           as k("sessionReused" jsonb, "persistedSessionId" jsonb, "rawInputTokens" jsonb, "inputTokens" jsonb,
                "rawCachedInputTokens" jsonb, "cachedInputTokens" jsonb, "rawOutputTokens" jsonb, "outputTokens" jsonb) on true
    -- the two context keys that record a rotation, taken at once too
    left join lateral jsonb_to_record(case when jsonb_typeof(h.context_snapshot) = 'object' then h.context_snapshot end)
           as c("paperclipPreviousSessionId" jsonb, "paperclipSessionRotationReason" jsonb) on true
    -- a persisted session, and a rotated one: not null, and not blank as JavaScript's trim() sees it
    cross join lateral (
      select case when btrim(h.session_id_after, E' \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff') <> '' then h.session_id_after end as session_id,
             case when jsonb_typeof(c."paperclipPreviousSessionId") = 'string'
                   and btrim(c."paperclipPreviousSessionId" #>> '{}', E' \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff') <> ''
                  then c."paperclipPreviousSessionId" #>> '{}' end as rotated_session_id,
             case when jsonb_typeof(c."paperclipSessionRotationReason") = 'string' then c."paperclipSessionRotationReason" #>> '{}' end as rotation_reason
    ) n
   where h.created_at is not null
     and ((select company_id from scope) is null or h.company_id::text = (select company_id from scope))
     and ((select since from scope) is null or h.created_at >= (select since from scope))
     and (n.session_id is not null or n.rotated_session_id is not null)
),
judged as (
select company_id, agent_id, session_id, created_at, id, rotated_session_id,
       -- what rotated it, told by the decision's sentence
       case when rotated_session_id is null then null
            when rotation_reason ~ '^[0-9.e+]+ consecutive failed zero-token reused runs on persisted session ' then 'fork_breaker'
            when rotation_reason ~ '^[0-9.e+]+ consecutive dead reused runs \(' then 'wider_breaker'
            when left(rotation_reason, 17) = 'session exceeded ' and right(rotation_reason, 5) = ' runs' then 'run_limit'
            when left(rotation_reason, 26) = 'session raw input reached ' then 'raw_input'
            when left(rotation_reason, 20) = 'session age reached ' then 'session_age'
            else 'other' end as rotation_kind,
       coalesce(liveness_state = any(rule.states), false) as listed_state, rule.unrecorded as count_unrecorded,
       -- a resume of the session that left no usage record (SQL NULL or JSON null)
       coalesce(session_id_before = session_id and (u is null or jsonb_typeof(u) = 'null'), false) as unrecorded_resume,
       coalesce(
         jsonb_typeof(u) = 'object'
         and "sessionReused" = 'true'::jsonb
         and jsonb_typeof("persistedSessionId") = 'string'
         and "persistedSessionId" #>> '{}' = session_id
         -- each count: the raw key's finite number, else the normalized key's, else 0; floored, at
         -- least 0 (no function calls another: a refresh runs with a search path of its own)
         and greatest(0, floor(coalesce(dead_session_json_number("rawInputTokens"), dead_session_json_number("inputTokens"), 0))) = 0
         and greatest(0, floor(coalesce(dead_session_json_number("rawCachedInputTokens"), dead_session_json_number("cachedInputTokens"), 0))) = 0
         and greatest(0, floor(coalesce(dead_session_json_number("rawOutputTokens"), dead_session_json_number("outputTokens"), 0))) = 0,
         false) as zero_token_reuse
  from scoped cross join rule
),
classified as (
select company_id, agent_id, session_id, created_at, id, rotated_session_id, rotation_kind,
       listed_state and (zero_token_reuse or (unrecorded_resume and count_unrecorded)) as dead,
       listed_state and not zero_token_reuse and unrecorded_resume and not count_unrecorded as unseen_failed
  from judged
)
-- Runs at one time (to the millisecond, as the audit reads times) go live first, then failed
-- unseen, then dead: the audit's order for ties, which no order of the rows changes. The id
-- only settles runs alike in everything.
select *,
       row_number() over (partition by company_id, agent_id, session_id order by date_trunc('milliseconds', created_at), dead, unseen_failed, id) as position,
       count(*) over (partition by company_id, agent_id, session_id) as session_runs
  from classified;

-- The rule dead_session_scope sets (as the audit report's deadRunRule); dead_session_runs counts by
-- it from its next refresh.
create or replace view dead_session_rule as
select coalesce((select dead_liveness_states from dead_session_scope limit 1), array['failed']) as dead_liveness_states,
       coalesce((select count_unrecorded_resumes from dead_session_scope limit 1), false) as count_unrecorded_resumes;

-- Each maximal run of consecutive dead runs in a session (gaps and islands); `recovered` when
-- a later run of the session ended it (the session came back on its own).
create or replace view dead_session_streaks as
select company_id, agent_id, session_id, count(*) as length, max(position) as last_position,
       max(position) < max(session_runs) as recovered
  from (
    select *, position - row_number() over (partition by company_id, agent_id, session_id order by date_trunc('milliseconds', created_at), dead, unseen_failed, id) as island
      from dead_session_runs
     where dead
  ) d
 group by company_id, agent_id, session_id, island;

-- The same islands under the wider rule: dead, or failed unseen.
create or replace view dead_session_wider_streaks as
select company_id, agent_id, session_id, count(*) as length, max(position) < max(session_runs) as recovered
  from (
    select *, position - row_number() over (partition by company_id, agent_id, session_id order by date_trunc('milliseconds', created_at), dead, unseen_failed, id) as island
      from dead_session_runs
     where dead or unseen_failed
  ) d
 group by company_id, agent_id, session_id, island;

-- The rotations the history records: each run that follows a rotation names the session rotated
-- (of its own company and agent), when (the run's time), and the kind of rule.
create or replace view dead_session_rotations as
select company_id, agent_id, rotated_session_id as session_id, created_at as rotated_at, rotation_kind
  from dead_session_runs
 where rotated_session_id is not null;

-- Each session: its streaks, and its latest rotation at or after its last run (to the
-- millisecond, as the audit reads times; at one time the kind listed last wins). Dead now: a
-- dead streak of at least 3 at its end, and not rotated since.
create or replace view dead_sessions as
with sessions as (
  select company_id, agent_id, session_id, count(*) as runs, count(*) filter (where dead) as dead_runs,
         count(*) filter (where unseen_failed) as unseen_failed_runs,
         min(created_at) as first_run_at, max(created_at) as last_run_at
    from dead_session_runs
   where session_id is not null
   group by company_id, agent_id, session_id
),
streaks as (
  select s.company_id, s.agent_id, s.session_id,
         coalesce(max(st.length), 0) as longest_dead_streak,
         coalesce(max(st.length) filter (where st.last_position = s.runs), 0) as current_dead_streak
    from sessions s
    left join dead_session_streaks st using (company_id, agent_id, session_id)
   group by s.company_id, s.agent_id, s.session_id
)
select s.company_id, s.agent_id, s.session_id, s.runs, s.dead_runs, s.unseen_failed_runs,
       st.longest_dead_streak, st.current_dead_streak,
       st.current_dead_streak >= 3 and r.rotated_at is null as dead_now,
       r.rotated_at, r.rotation_kind,
       s.first_run_at, s.last_run_at
  from sessions s
  join streaks st using (company_id, agent_id, session_id)
  left join lateral (
    select rot.rotated_at, rot.rotation_kind
      from dead_session_rotations rot
     where rot.company_id = s.company_id and rot.agent_id = s.agent_id and rot.session_id = s.session_id
       and date_trunc('milliseconds', rot.rotated_at) >= date_trunc('milliseconds', s.last_run_at)
     order by date_trunc('milliseconds', rot.rotated_at) desc,
              array_position(array['fork_breaker', 'wider_breaker', 'run_limit', 'raw_input', 'session_age', 'other'], rot.rotation_kind) desc
     limit 1
  ) r on true;

-- The report's totals: sessions and runs, dead now (not rotated since), the rotations by kind,
-- and the dead runs each session the breaker rotated burned before it.
create or replace view dead_session_totals as
select s.*, r.*
  from (select count(*) as sessions, coalesce(sum(runs), 0) as runs, coalesce(sum(dead_runs), 0) as dead_runs,
               coalesce(sum(unseen_failed_runs), 0) as unseen_failed_runs,
               count(*) filter (where longest_dead_streak >= 3) as sessions_with_dead_streak,
               count(*) filter (where dead_now) as sessions_dead_now,
               count(*) filter (where current_dead_streak >= 3 and rotated_at is not null) as sessions_rotated_dead,
               coalesce(sum(current_dead_streak) filter (where rotation_kind in ('fork_breaker', 'wider_breaker')), 0) as dead_runs_before_breaker_rotations
          from dead_sessions) s
  -- the rotations by kind, in one pass over them
  cross join (select count(*) filter (where rotation_kind = 'fork_breaker') as rotations_fork_breaker,
                     count(*) filter (where rotation_kind = 'wider_breaker') as rotations_wider_breaker,
                     count(*) filter (where rotation_kind = 'run_limit') as rotations_run_limit,
                     count(*) filter (where rotation_kind = 'raw_input') as rotations_raw_input,
                     count(*) filter (where rotation_kind = 'session_age') as rotations_session_age,
                     count(*) filter (where rotation_kind = 'other') as rotations_other
                from dead_session_rotations) r;

-- What a breaker threshold of 1 to 10 would have done, by rule ('breaker': dead runs as the
-- breaker sees them; 'wider': unseen failed runs counted as dead too): one rotation per dead
-- streak at least that long, saving the streak's dead runs past the threshold; `recovered`, the
-- rotations on a streak the session ended on its own (rotating there threw its context away).
create or replace view dead_session_what_if_by_rule as
select r.rule, t.threshold,
       count(st.length) filter (where st.length >= t.threshold) as rotations,
       coalesce(sum(st.length - t.threshold) filter (where st.length >= t.threshold), 0) as dead_runs_saved,
       count(st.length) filter (where st.length >= t.threshold and st.recovered) as recovered
  from generate_series(1, 10) as t(threshold)
  cross join (values ('breaker'), ('wider')) as r(rule)
  left join (select 'breaker' as rule, length, recovered from dead_session_streaks
             union all
             select 'wider', length, recovered from dead_session_wider_streaks) st on st.rule = r.rule
 group by r.rule, t.threshold;

create or replace view dead_session_what_if as
select threshold, rotations, dead_runs_saved, recovered from dead_session_what_if_by_rule where rule = 'breaker';

-- The same table for a breaker that also counted unseen failed runs as dead.
create or replace view dead_session_what_if_wider as
select threshold, rotations, dead_runs_saved, recovered from dead_session_what_if_by_rule where rule = 'wider';

-- Every maximal dead streak counted once, by length.
create or replace view dead_session_streak_lengths as
select length, count(*) as streaks
  from dead_session_streaks
 group by length;

-- Runs, dead runs and rotations by kind per UTC day (days with runs or rotations).
create or replace view dead_session_days as
select coalesce(r.day, t.day) as day, coalesce(r.runs, 0) as runs, coalesce(r.dead_runs, 0) as dead_runs,
       coalesce(t.fork_breaker, 0) as rotations_fork_breaker, coalesce(t.wider_breaker, 0) as rotations_wider_breaker,
       coalesce(t.run_limit, 0) as rotations_run_limit, coalesce(t.raw_input, 0) as rotations_raw_input,
       coalesce(t.session_age, 0) as rotations_session_age, coalesce(t.other, 0) as rotations_other
  from (select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*) as runs, count(*) filter (where dead) as dead_runs
          from dead_session_runs where session_id is not null group by 1) r
  full join (select to_char(rotated_at at time zone 'UTC', 'YYYY-MM-DD') as day,
                    count(*) filter (where rotation_kind = 'fork_breaker') as fork_breaker,
                    count(*) filter (where rotation_kind = 'wider_breaker') as wider_breaker,
                    count(*) filter (where rotation_kind = 'run_limit') as run_limit,
                    count(*) filter (where rotation_kind = 'raw_input') as raw_input,
                    count(*) filter (where rotation_kind = 'session_age') as session_age,
                    count(*) filter (where rotation_kind = 'other') as other
               from dead_session_rotations group by 1) t using (day);

commit;
