-- Restrictions and responsibilities as first-class records (LADM RRR): mortgages, seizures,
-- court injunctions, enforcement holds, dispute notices, leases and sub-leases, each with its
-- legal basis, its parties, its documents and the dossiers that registered and released it.
-- Which procedures a restriction blocks is data (restriction_blocks), never code.

ALTER TABLE rrrs DROP CONSTRAINT rrrs_kind_check;
ALTER TABLE rrrs ADD CONSTRAINT rrrs_kind_check CHECK (kind IN (
    'use_right', 'mortgage', 'lease', 'sublease', 'seizure', 'injunction', 'enforcement_hold',
    'dispute', 'restriction'));

ALTER TABLE rrrs
    -- The law or decision the record rests on (e.g. "Nghị định 99/2022/NĐ-CP").
    ADD COLUMN legal_basis text,
    -- The other side: the mortgagee, the court or enforcement body, the claimant, the lessee.
    -- Personal or commercial data: staff only, never on a public route.
    ADD COLUMN counterparty text,
    -- Contract or decision number (hợp đồng thế chấp số…, quyết định kê biên số…).
    ADD COLUMN reference_no text,
    -- Secured amount of a mortgage, in đồng.
    ADD COLUMN secured_amount bigint CHECK (secured_amount IS NULL OR secured_amount > 0),
    -- End of a lease's term (the start is valid_from's date unless term_start says otherwise).
    ADD COLUMN term_start date,
    ADD COLUMN term_end date,
    -- Documents handed in for the record, as listed on the dossier.
    ADD COLUMN documents jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(documents) = 'array'),
    ADD COLUMN registered_dossier_id bigint REFERENCES dossiers (id) ON DELETE RESTRICT,
    ADD COLUMN released_dossier_id bigint REFERENCES dossiers (id) ON DELETE RESTRICT,
    -- Why the record ended: the release, the lifting decision, the revocation decision, or the
    -- split or merge that carried it to other parcels.
    ADD COLUMN ended_reason text,
    -- A restriction follows the land: on a split or merge it is carried to the new parcels
    -- as new records pointing at the one they came from.
    ADD COLUMN carried_from_id bigint REFERENCES rrrs (id) ON DELETE RESTRICT,
    ADD CONSTRAINT rrrs_mortgage_fields CHECK (
        kind <> 'mortgage' OR (counterparty IS NOT NULL AND reference_no IS NOT NULL)),
    ADD CONSTRAINT rrrs_term_order CHECK (term_end IS NULL OR term_start IS NULL OR term_end > term_start),
    ADD CONSTRAINT rrrs_ended_has_reason CHECK (
        valid_to IS NULL OR kind = 'use_right' OR ended_reason IS NOT NULL OR carried_from_id IS NOT NULL
        OR legal_basis IS NULL);

-- A dossier registers its restriction on each of its parcels once.
CREATE UNIQUE INDEX rrrs_registered_once ON rrrs (registered_dossier_id, parcel_id)
    WHERE registered_dossier_id IS NOT NULL AND carried_from_id IS NULL;

-- Whether a restriction blocks is the blocking table's to say, per procedure; a flag on the
-- record could only say "always" or "never".
ALTER TABLE rrrs DROP COLUMN blocking;

-- What a procedure's result does to the register. Register/release procedures name the kind
-- of restriction they record or end.
ALTER TABLE procedures
    ADD COLUMN outcome text NOT NULL DEFAULT 'information' CHECK (outcome IN (
        'first_registration', 'transfer', 'split_merge', 'reissue', 'correction', 'change',
        'information', 'register_restriction', 'release_restriction')),
    ADD COLUMN restriction_kind text CHECK (restriction_kind IN (
        'mortgage', 'lease', 'sublease', 'seizure', 'injunction', 'enforcement_hold', 'dispute')),
    ADD CONSTRAINT procedures_restriction_kind CHECK (
        (outcome IN ('register_restriction', 'release_restriction')) = (restriction_kind IS NOT NULL));

-- The blocking table: for a kind of restriction and a procedure ('*' = every procedure), whether
-- the restriction blocks it, blocks it unless the right-holder of the restriction (the mortgagee)
-- consents, or is allowed (an exception to a '*' row). The most specific row wins.
CREATE TABLE restriction_blocks (
    restriction_kind text NOT NULL CHECK (restriction_kind IN (
        'mortgage', 'lease', 'sublease', 'seizure', 'injunction', 'enforcement_hold', 'dispute', 'restriction')),
    procedure_code   text NOT NULL CHECK (procedure_code = '*' OR procedure_code ~ '^[0-9]\.[0-9]{6}$'),
    effect           text NOT NULL CHECK (effect IN ('blocks', 'blocks_unless_consent', 'allowed')),
    legal_basis      text NOT NULL CHECK (length(legal_basis) > 0),
    PRIMARY KEY (restriction_kind, procedure_code)
);

-- A restriction's right-holder consents to one dossier's procedure (the mortgagee agrees to the
-- transfer): the consent is for that dossier only.
CREATE TABLE restriction_consents (
    rrr_id      bigint NOT NULL REFERENCES rrrs (id) ON DELETE RESTRICT,
    dossier_id  bigint NOT NULL REFERENCES dossiers (id) ON DELETE RESTRICT,
    document    text NOT NULL CHECK (length(document) > 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by integer REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (rrr_id, dossier_id)
);


-- The blocking rule in the database, so that no write path can walk around it: the records in
-- force on a parcel that stop a procedure for a dossier (the most specific row of the blocking
-- table decides; a consent for that dossier lifts a blocks_unless_consent row). The service
-- refuses first with a readable report (domain::restriction::BlockingTable, tested to agree
-- with this function); these triggers are the backstop.
CREATE FUNCTION restriction_blockers(p_parcel bigint, p_procedure text, p_dossier bigint)
RETURNS TABLE (rrr_id bigint, kind text, effect text, legal_basis text)
LANGUAGE sql STABLE AS $$
    SELECT r.id, r.kind, b.effect, b.legal_basis
    FROM rrrs r
    CROSS JOIN LATERAL (
        SELECT x.effect, x.legal_basis FROM restriction_blocks x
        WHERE x.restriction_kind = r.kind AND x.procedure_code IN (p_procedure, '*')
        ORDER BY x.procedure_code = '*'
        LIMIT 1
    ) b
    WHERE r.parcel_id = p_parcel AND r.valid_to IS NULL AND r.kind <> 'use_right'
      AND (b.effect = 'blocks'
           OR (b.effect = 'blocks_unless_consent' AND NOT EXISTS (
               SELECT 1 FROM restriction_consents c WHERE c.rrr_id = r.id AND c.dossier_id = p_dossier)))
$$;

CREATE FUNCTION refuse_blocked_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_parcel bigint;
    v_dossier bigint;
    v_procedure text;
    v_blocker record;
BEGIN
    IF TG_TABLE_NAME = 'certificates' THEN
        v_dossier := NEW.dossier_id;
        SELECT parcel_id INTO v_parcel FROM rrrs WHERE id = NEW.rrr_id;
    ELSE
        v_dossier := NEW.registered_dossier_id;
        v_parcel := NEW.parcel_id;
    END IF;
    SELECT procedure_code INTO v_procedure FROM dossiers WHERE id = v_dossier;
    SELECT * INTO v_blocker FROM restriction_blockers(v_parcel, v_procedure, v_dossier) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'R7.2: % #% blocks procedure % on parcel % (%)',
            v_blocker.kind, v_blocker.rrr_id, v_procedure, v_parcel, v_blocker.legal_basis
            USING ERRCODE = 'check_violation', CONSTRAINT = 'restriction_blocks';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER certificates_not_blocked BEFORE INSERT ON certificates
    FOR EACH ROW WHEN (NEW.dossier_id IS NOT NULL) EXECUTE FUNCTION refuse_blocked_write();
CREATE TRIGGER restrictions_not_blocked BEFORE INSERT ON rrrs
    FOR EACH ROW WHEN (NEW.registered_dossier_id IS NOT NULL AND NEW.carried_from_id IS NULL)
    EXECUTE FUNCTION refuse_blocked_write();
