-- A 签署 flow past its deadline expires (issue 73 §4; docs/modules/contract.md):
-- hall-outbox's tick ends it, event kind 'expired'.
ALTER TABLE sign_flow_events DROP CONSTRAINT sign_flow_events_kind_check;
ALTER TABLE sign_flow_events ADD CONSTRAINT sign_flow_events_kind_check
    CHECK (kind IN ('created', 'notified', 'reminded', 'signed', 'refused', 'withdrawn', 'completed',
                    'expired'));
CREATE INDEX sign_flows_signing_deadline ON sign_flows (deadline) WHERE state = 'signing';
