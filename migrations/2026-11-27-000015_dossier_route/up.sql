-- The full route of a one-stop dossier (issue 12): handovers between the units that hold it,
-- supplements asked at any processing step, a financial-obligation pause with the tax notice
-- and the payment date, site verification and public posting at the commune, per-procedure
-- cut-off times and pause rules, the documents compared with the procedure's list, the
-- postal tracking number of a returned result, and an apology that may be issued only once.

-- Per-procedure rules, as data (sample-data/procedures.csv; PUT /procedures/{code}).
ALTER TABLE procedures
    -- Afternoon cut-off: received at or after it, the clock starts the next working day.
    -- NULL: the office's (DIACHINH_OFFICE_CUTOFF).
    ADD COLUMN cutoff time,
    -- How many times the applicant may be asked to supplement the dossier.
    ADD COLUMN max_supplements integer NOT NULL DEFAULT 1 CHECK (max_supplements >= 0),
    -- Which waits stop the clock for this procedure.
    ADD COLUMN pause_reasons text[] NOT NULL DEFAULT '{supplement,financial_obligation}'
        CHECK (pause_reasons <@ ARRAY['supplement', 'financial_obligation', 'posting']::text[]),
    -- Working days the commune has for a site verification; > 0: the procedure requires one
    -- before a decision.
    ADD COLUMN site_verification_days integer NOT NULL DEFAULT 0 CHECK (site_verification_days >= 0),
    -- Days a public notice stays posted at the commune; > 0: the procedure requires a posting
    -- before a decision.
    ADD COLUMN posting_days integer NOT NULL DEFAULT 0 CHECK (posting_days >= 0);

ALTER TABLE dossiers DROP CONSTRAINT dossiers_state_check;
ALTER TABLE dossiers
    ADD CONSTRAINT dossiers_state_check CHECK (state IN ('received', 'supplement_requested', 'appraising',
        'at_commune', 'at_tax_office', 'awaiting_payment', 'approved', 'rejected', 'result_ready', 'returned',
        'withdrawn')),
    -- The cut-off that applied at receipt (day 0 of the clock depends on it; the catalogue may
    -- change later). Dossiers received before this migration get the default office cut-off.
    ADD COLUMN cutoff time NOT NULL DEFAULT '16:30',
    -- Số hiệu bưu gửi: the postal item number of a result returned by post.
    ADD COLUMN return_tracking_no text
        CHECK (return_tracking_no IS NULL OR (return_method = 'postal' AND return_tracking_no ~ '^[A-Z0-9-]{6,40}$')),
    -- Whether the desk listed the documents handed in and compared them with the procedure's list.
    ADD COLUMN documents_checked boolean NOT NULL DEFAULT false,
    -- Required documents missing at receipt; only with the officer's note accepting them so.
    ADD COLUMN missing_documents jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(missing_documents) = 'array'),
    ADD COLUMN incomplete_note text CHECK (incomplete_note IS NULL OR length(incomplete_note) > 0),
    ADD CONSTRAINT dossiers_incomplete_has_note CHECK (missing_documents = '[]' OR incomplete_note IS NOT NULL);
ALTER TABLE dossiers ALTER COLUMN cutoff DROP DEFAULT;

ALTER TABLE dossier_pauses DROP CONSTRAINT dossier_pauses_reason_check;
ALTER TABLE dossier_pauses
    ADD CONSTRAINT dossier_pauses_reason_check CHECK (reason IN ('supplement', 'financial_obligation', 'posting'));

-- What a handover to the commune is for.
ALTER TABLE dossier_events
    ADD COLUMN purpose text CHECK (purpose IN ('site_verification', 'posting')),
    ADD CONSTRAINT dossier_events_purpose CHECK ((purpose IS NOT NULL) = (action = 'send_to_commune'));

-- Nghĩa vụ tài chính: the tax office's notice (thông báo nộp tiền) and the day it was paid.
CREATE TABLE dossier_obligations (
    id          bigserial PRIMARY KEY,
    dossier_id  bigint NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    notice_no   text NOT NULL CHECK (length(notice_no) > 0),
    -- In đồng.
    amount      bigint NOT NULL CHECK (amount >= 0),
    notice_on   date NOT NULL,
    paid_on     date CHECK (paid_on IS NULL OR paid_on >= notice_on),
    recorded_by integer REFERENCES users (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_obligations_dossier ON dossier_obligations (dossier_id);
-- At most one notice awaits payment.
CREATE UNIQUE INDEX dossier_obligations_one_unpaid ON dossier_obligations (dossier_id) WHERE paid_on IS NULL;

-- Decree 61/2018 Art. 19(9): the new date is set once. The due date the apology was issued
-- against is kept for the letter (form 04 names the old due date).
ALTER TABLE apology_letters ADD COLUMN previous_due_on date;
CREATE UNIQUE INDEX apology_letters_once ON apology_letters (dossier_id);

-- The queue by holder and the overdue list read open dossiers by state.
CREATE INDEX dossiers_open ON dossiers (state) WHERE state NOT IN ('returned', 'withdrawn');
