-- 催签 (issue 73 §4; docs/modules/contract.md): the initiator reminds the
-- parties asked to sign and not yet signed, each at most once in 24 hours.
ALTER TABLE sign_flow_parties ADD COLUMN reminded_at timestamptz;
ALTER TABLE sign_flow_events DROP CONSTRAINT sign_flow_events_kind_check;
ALTER TABLE sign_flow_events ADD CONSTRAINT sign_flow_events_kind_check
    CHECK (kind IN ('created', 'notified', 'reminded', 'signed', 'refused', 'withdrawn', 'completed'));
