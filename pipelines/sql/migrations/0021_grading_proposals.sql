-- A grading configuration change is a proposal first: who, why, the TOML proposed and the version it was made
-- against; a district-scope leader other than the proposer approves (it is then saved as a new version and
-- applied) or rejects it. A revert is a proposal too (revert_to: the version whose configuration it brings back,
-- 0 for the configuration shipped with the code). Nothing here is ever deleted.
create sequence grading_proposal_seq start 1;

create table grading_proposals (
    proposal_id      integer primary key default nextval('grading_proposal_seq'),
    config           varchar not null,
    base_version     integer not null,           -- the active version when proposed
    revert_to        integer,
    reason           varchar not null,
    proposed_by      varchar not null,
    proposed_at      timestamptz not null default current_timestamp,
    status           varchar not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
    decided_by       varchar,
    decided_at       timestamptz,
    decision_note    varchar,
    applied_version  integer,
    grades_moved     integer                      -- buildings whose grade on the latest graded day changed
);
