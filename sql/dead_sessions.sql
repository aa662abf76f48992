-- Dead sessions in heartbeat_runs, computed where the history lives (Postgres, or a
-- distributed Postgres such as Citus: every window is partitioned by company, agent and
-- session, so it runs shard-local when heartbeat_runs is distributed by company_id).
--
-- A run is dead exactly as the heartbeat's circuit breaker defines it: liveness_state is
-- 'failed'; usage_json is an object whose sessionReused is true and whose persistedSessionId
-- is the run's session (session_id_after); and its three token counts (raw value when it is a
-- number, else the normalized one, else 0; floored; at least 0) are all 0.
--
--   \i sql/dead_sessions.sql
--   select * from dead_sessions where dead_now;            -- sessions the breaker would rotate now
--   select * from dead_session_what_if order by threshold; -- what thresholds 1..10 would have done

create or replace view dead_session_runs as
with scoped as (
  select company_id, agent_id, session_id_after as session_id, created_at, id, liveness_state, usage_json as u
    from heartbeat_runs
   -- a persisted session: not null, and not blank as JavaScript's trim() sees it
   where session_id_after is not null
     and btrim(session_id_after, E' \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff') <> ''
)
select company_id, agent_id, session_id, created_at, id,
       coalesce(
         liveness_state = 'failed'
         and jsonb_typeof(u) = 'object'
         and u -> 'sessionReused' = 'true'::jsonb
         and jsonb_typeof(u -> 'persistedSessionId') = 'string'
         and u ->> 'persistedSessionId' = session_id
         and greatest(0, floor(case when jsonb_typeof(u -> 'rawInputTokens') = 'number' then (u ->> 'rawInputTokens')::numeric
                                    when jsonb_typeof(u -> 'inputTokens') = 'number' then (u ->> 'inputTokens')::numeric else 0 end)) = 0
         and greatest(0, floor(case when jsonb_typeof(u -> 'rawCachedInputTokens') = 'number' then (u ->> 'rawCachedInputTokens')::numeric
                                    when jsonb_typeof(u -> 'cachedInputTokens') = 'number' then (u ->> 'cachedInputTokens')::numeric else 0 end)) = 0
         and greatest(0, floor(case when jsonb_typeof(u -> 'rawOutputTokens') = 'number' then (u ->> 'rawOutputTokens')::numeric
                                    when jsonb_typeof(u -> 'outputTokens') = 'number' then (u ->> 'outputTokens')::numeric else 0 end)) = 0,
         false) as dead,
       row_number() over (partition by company_id, agent_id, session_id order by created_at, id) as position
  from scoped;

-- Each maximal run of consecutive dead runs in a session (gaps and islands).
create or replace view dead_session_streaks as
select company_id, agent_id, session_id, count(*) as length, max(position) as last_position
  from (
    select *, position - row_number() over (partition by company_id, agent_id, session_id order by created_at, id) as island
      from dead_session_runs
     where dead
  ) d
 group by company_id, agent_id, session_id, island;

create or replace view dead_sessions as
select s.company_id, s.agent_id, s.session_id, s.runs, s.dead_runs,
       coalesce(max(st.length), 0) as longest_dead_streak,
       coalesce(max(st.length) filter (where st.last_position = s.runs), 0) as current_dead_streak,
       coalesce(max(st.length) filter (where st.last_position = s.runs), 0) >= 3 as dead_now,
       s.first_run_at, s.last_run_at
  from (
    select company_id, agent_id, session_id, count(*) as runs, count(*) filter (where dead) as dead_runs,
           min(created_at) as first_run_at, max(created_at) as last_run_at
      from dead_session_runs
     group by company_id, agent_id, session_id
  ) s
  left join dead_session_streaks st using (company_id, agent_id, session_id)
 group by s.company_id, s.agent_id, s.session_id, s.runs, s.dead_runs, s.first_run_at, s.last_run_at;

-- What a breaker threshold of 1 to 10 would have done: one rotation per dead streak at least
-- that long, saving the streak's dead runs past the threshold.
create or replace view dead_session_what_if as
select t.threshold,
       count(st.length) filter (where st.length >= t.threshold) as rotations,
       coalesce(sum(st.length - t.threshold) filter (where st.length >= t.threshold), 0) as dead_runs_saved
  from generate_series(1, 10) as t(threshold)
  left join dead_session_streaks st on true
 group by t.threshold;
