-- Emerging-issue alerts the timer worker raised: one row per series and hour (an episode is
-- raised once; its count is updated as the hour goes on), with what people did with it.
CREATE TABLE emerging_alerts (
    id               BIGSERIAL PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    dimension        TEXT    NOT NULL CHECK (dimension IN ('topic', 'intent', 'channel')),
    series_key       TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    hour             BIGINT  NOT NULL,
    severity         TEXT    NOT NULL CHECK (severity IN ('warning', 'critical')),
    observed         BIGINT  NOT NULL,
    expected         DOUBLE PRECISION NOT NULL,
    surprise         DOUBLE PRECISION NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'closed')),
    acknowledged_by  TEXT,
    acknowledged_at  BIGINT,
    closed_by        TEXT,
    closed_at        BIGINT,
    -- The alert as the API shows it (figures, basis, samples, top messages), JSON.
    detail           TEXT    NOT NULL,
    raised_at        BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (workspace_id, dimension, series_key, hour)
);
CREATE INDEX emerging_alerts_by_time ON emerging_alerts (workspace_id, id);
