// @generated automatically by Diesel CLI.

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    admin_unit_predecessors (unit_id, predecessor_id) {
        unit_id -> Int4,
        predecessor_id -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    admin_units (id) {
        id -> Int4,
        level -> Text,
        code -> Text,
        name -> Text,
        division_type -> Text,
        parent_id -> Nullable<Int4>,
        province_code -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        boundary -> Nullable<Geometry>,
        boundary_source -> Nullable<Text>,
        default_crs_epsg -> Nullable<Int4>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    api_tokens (token_hash) {
        token_hash -> Bytea,
        user_id -> Int4,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    apology_letters (id) {
        id -> Int8,
        dossier_id -> Int8,
        reason -> Text,
        new_due_on -> Date,
        issued_at -> Timestamptz,
        issued_by -> Nullable<Int4>,
        previous_due_on -> Nullable<Date>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    audit_chain_head (one) {
        one -> Bool,
        last_id -> Int8,
        last_hash -> Nullable<Bytea>,
        dense_after -> Int8,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Int4>,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        prev_hash -> Nullable<Bytea>,
        hash -> Bytea,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    calendar_days (day) {
        day -> Date,
        kind -> Text,
        note -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    certificate_blanks (serial) {
        serial -> Text,
        province_code -> Text,
        status -> Text,
        voided_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    certificates (id) {
        id -> Int8,
        serial -> Text,
        registry_no -> Text,
        province_code -> Text,
        rrr_id -> Int8,
        issued_on -> Date,
        issuing_authority -> Text,
        status -> Text,
        replaced_by_id -> Nullable<Int8>,
        qr_payload -> Nullable<Text>,
        signature -> Nullable<Text>,
        created_at -> Timestamptz,
        registry_year -> Int4,
        dossier_id -> Nullable<Int8>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        content -> Nullable<Jsonb>,
        key_id -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossier_documents (dossier_id, position) {
        dossier_id -> Int8,
        position -> Int4,
        title -> Text,
        copies -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossier_events (id) {
        id -> Int8,
        dossier_id -> Int8,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        actor_id -> Nullable<Int4>,
        at -> Timestamptz,
        note -> Nullable<Text>,
        purpose -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossier_obligations (id) {
        id -> Int8,
        dossier_id -> Int8,
        notice_no -> Text,
        amount -> Int8,
        notice_on -> Date,
        paid_on -> Nullable<Date>,
        recorded_by -> Nullable<Int4>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossier_parcels (dossier_id, parcel_id) {
        dossier_id -> Int8,
        parcel_id -> Int8,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossier_pauses (id) {
        id -> Int8,
        dossier_id -> Int8,
        reason -> Text,
        from_day -> Date,
        to_day -> Nullable<Date>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    dossiers (id) {
        id -> Int8,
        receipt_no -> Text,
        procedure_code -> Text,
        province_code -> Text,
        commune_id -> Nullable<Int4>,
        channel -> Text,
        applicant_party_id -> Int8,
        state -> Text,
        received_at -> Timestamptz,
        statutory_days -> Int4,
        due_on -> Date,
        return_method -> Nullable<Text>,
        returned_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Int4>,
        created_at -> Timestamptz,
        remote_commune -> Bool,
        paused_since -> Nullable<Timestamptz>,
        decided_at -> Nullable<Timestamptz>,
        result_ready_at -> Nullable<Timestamptz>,
        tracking_code -> Text,
        cutoff -> Time,
        return_tracking_no -> Nullable<Text>,
        documents_checked -> Bool,
        missing_documents -> Jsonb,
        incomplete_note -> Nullable<Text>,
        return_address -> Nullable<Text>,
        contact_email -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    geometry_checks (id) {
        id -> Int8,
        dossier_id -> Nullable<Int8>,
        checked_at -> Timestamptz,
        outcome -> Text,
        report -> Jsonb,
        parcel_id -> Nullable<Int8>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    import_jobs (id) {
        id -> Int8,
        commune_id -> Int4,
        province_code -> Text,
        user_id -> Nullable<Int4>,
        requested_by -> Text,
        source_name -> Text,
        layer -> Text,
        source_crs_epsg -> Int4,
        field_map -> Jsonb,
        mode -> Text,
        status -> Text,
        phase -> Text,
        features_total -> Nullable<Int8>,
        features_read -> Int8,
        features_validated -> Int8,
        features_loaded -> Int8,
        features_rejected -> Int8,
        audit_id -> Nullable<Int8>,
        rejected_by_code -> Nullable<Jsonb>,
        rejected_gpkg -> Nullable<Bytea>,
        error -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    land_use_types (code) {
        code -> Text,
        name -> Text,
        category -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    notices (id) {
        id -> Int8,
        kind -> Text,
        submission_id -> Nullable<Int8>,
        dossier_id -> Nullable<Int8>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    online_submissions (id) {
        id -> Int8,
        submission_no -> Text,
        secret_sha256 -> Text,
        procedure_code -> Text,
        province_code -> Text,
        commune_id -> Int4,
        parcel_id -> Nullable<Int8>,
        applicant_kind -> Text,
        applicant_name -> Text,
        applicant_id_number -> Nullable<Text>,
        applicant_address -> Nullable<Text>,
        email -> Text,
        phone -> Nullable<Text>,
        return_method -> Text,
        postal_address -> Nullable<Text>,
        state -> Text,
        submitted_at -> Timestamptz,
        respond_by -> Date,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int4>,
        refusal_ground -> Nullable<Text>,
        refusal_note -> Nullable<Text>,
        dossier_id -> Nullable<Int8>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    parcel_land_uses (parcel_version_id, land_use_code) {
        parcel_version_id -> Int8,
        land_use_code -> Text,
        area_m2 -> Numeric,
        use_until -> Nullable<Date>,
        origin -> Nullable<Text>,
        /// The version's province: the partition key (migration 000022).
        province_code -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    parcel_versions (id) {
        id -> Int8,
        parcel_id -> Int8,
        version -> Int4,
        commune_id -> Int4,
        registered_commune_id -> Int4,
        sheet_no -> Int4,
        parcel_no -> Int4,
        geom -> Geometry,
        source_crs_epsg -> Int4,
        legal_area_m2 -> Numeric,
        address -> Nullable<Text>,
        valid_from -> Timestamptz,
        valid_to -> Nullable<Timestamptz>,
        change_reason -> Text,
        is_synthetic -> Bool,
        /// The parcel's province: the partition key, part of the primary key (id, province_code)
        /// in the database (migration 000022); ids alone are unique too (one sequence).
        province_code -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    parcels (id) {
        id -> Int8,
        national_id -> Text,
        province_code -> Text,
        created_at -> Timestamptz,
        retired_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    parties (id) {
        id -> Int8,
        kind -> Text,
        full_name -> Text,
        id_number -> Nullable<Text>,
        birth_year -> Nullable<Int4>,
        address -> Nullable<Text>,
        created_at -> Timestamptz,
        title -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    planning_plans (id) {
        id -> Int4,
        level -> Text,
        admin_unit_id -> Int4,
        name -> Text,
        period_start -> Int4,
        period_end -> Int4,
        decision_no -> Nullable<Text>,
        decision_date -> Nullable<Date>,
        status -> Text,
        created_at -> Timestamptz,
        is_synthetic -> Bool,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    planning_zones (id) {
        id -> Int8,
        plan_id -> Int4,
        land_use_code -> Text,
        name -> Nullable<Text>,
        geom -> Geometry,
        source_crs_epsg -> Int4,
        is_synthetic -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    procedures (code) {
        code -> Text,
        name -> Text,
        working_days -> Int4,
        remote_extra_days -> Int4,
        online_level -> Text,
        required_documents -> Jsonb,
        outcome -> Text,
        restriction_kind -> Nullable<Text>,
        cutoff -> Nullable<Time>,
        max_supplements -> Int4,
        pause_reasons -> Array<Text>,
        site_verification_days -> Int4,
        posting_days -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    receipt_counters (province_code, day) {
        province_code -> Text,
        day -> Date,
        last_no -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    reference_documents (name) {
        name -> Text,
        content -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    registry_counters (province_code, year) {
        province_code -> Text,
        year -> Int4,
        last_no -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    rrr_shares (rrr_id, party_id) {
        rrr_id -> Int8,
        party_id -> Int8,
        share -> Numeric,
        ord -> Nullable<Int4>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    rrrs (id) {
        id -> Int8,
        kind -> Text,
        parcel_id -> Int8,
        parcel_version_id -> Int8,
        use_form -> Nullable<Text>,
        source_document -> Text,
        description -> Nullable<Text>,
        valid_from -> Timestamptz,
        valid_to -> Nullable<Timestamptz>,
        legal_basis -> Nullable<Text>,
        counterparty -> Nullable<Text>,
        reference_no -> Nullable<Text>,
        secured_amount -> Nullable<Int8>,
        term_start -> Nullable<Date>,
        term_end -> Nullable<Date>,
        documents -> Jsonb,
        registered_dossier_id -> Nullable<Int8>,
        released_dossier_id -> Nullable<Int8>,
        ended_reason -> Nullable<Text>,
        carried_from_id -> Nullable<Int8>,
        /// Its version's province, set by the trigger `rrrs_province` from the parcel (migration 000022).
        province_code -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    sign_in_failures (id) {
        id -> Int8,
        username -> Text,
        client -> Text,
        at -> Timestamptz,
        counts_for_account -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    signing_keys (key_id) {
        key_id -> Text,
        province_code -> Text,
        public_key -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    submission_files (id) {
        id -> Int8,
        submission_id -> Int8,
        requirement -> Int4,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> Int4,
        sha256 -> Text,
        content -> Bytea,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    users (id) {
        id -> Int4,
        username -> Text,
        full_name -> Text,
        password_hash -> Text,
        role -> Text,
        province_code -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    restriction_blocks (restriction_kind, procedure_code) {
        restriction_kind -> Text,
        procedure_code -> Text,
        effect -> Text,
        legal_basis -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::*;

    restriction_consents (rrr_id, dossier_id) {
        rrr_id -> Int8,
        dossier_id -> Int8,
        document -> Text,
        recorded_at -> Timestamptz,
        recorded_by -> Nullable<Int4>,
    }
}

diesel::table! {
    change_rules (procedure_code, change_kind) {
        procedure_code -> Text,
        change_kind -> Text,
        result -> Text,
        deadline_days -> Nullable<Int4>,
        legal_basis -> Text,
    }
}

diesel::table! {
    issuing_authorities (province_code, procedure_code, holder_kind) {
        province_code -> Text,
        procedure_code -> Text,
        holder_kind -> Text,
        authority -> Text,
        registry_prefix -> Text,
        legal_basis -> Text,
    }
}

diesel::table! {
    party_members (party_id, seq) {
        party_id -> Int8,
        seq -> Int4,
        role -> Text,
        title -> Nullable<Text>,
        full_name -> Text,
        id_number -> Nullable<Text>,
        relation -> Nullable<Text>,
    }
}

diesel::table! {
    rrr_changes (id) {
        id -> Int8,
        dossier_id -> Int8,
        parcel_id -> Int8,
        kind -> Text,
        result -> Text,
        from_rrr_id -> Int8,
        to_rrr_id -> Int8,
        from_version -> Int4,
        to_version -> Int4,
        certificate_id -> Int8,
        replaced_certificate_id -> Nullable<Int8>,
        event_date -> Nullable<Date>,
        due_on -> Nullable<Date>,
        late -> Bool,
        summary -> Text,
        recorded_at -> Timestamptz,
        recorded_by -> Nullable<Int4>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(apology_letters -> dossiers (dossier_id));
diesel::joinable!(apology_letters -> users (issued_by));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(certificates -> dossiers (dossier_id));
diesel::joinable!(certificates -> rrrs (rrr_id));
diesel::joinable!(certificates -> signing_keys (key_id));
diesel::joinable!(dossier_documents -> dossiers (dossier_id));
diesel::joinable!(dossier_events -> dossiers (dossier_id));
diesel::joinable!(dossier_events -> users (actor_id));
diesel::joinable!(dossier_obligations -> dossiers (dossier_id));
diesel::joinable!(dossier_obligations -> users (recorded_by));
diesel::joinable!(dossier_parcels -> dossiers (dossier_id));
diesel::joinable!(dossier_parcels -> parcels (parcel_id));
diesel::joinable!(dossier_pauses -> dossiers (dossier_id));
diesel::joinable!(dossiers -> admin_units (commune_id));
diesel::joinable!(dossiers -> parties (applicant_party_id));
diesel::joinable!(dossiers -> procedures (procedure_code));
diesel::joinable!(dossiers -> users (created_by));
diesel::joinable!(import_jobs -> admin_units (commune_id));
diesel::joinable!(import_jobs -> users (user_id));
diesel::joinable!(notices -> dossiers (dossier_id));
diesel::joinable!(notices -> online_submissions (submission_id));
diesel::joinable!(online_submissions -> admin_units (commune_id));
diesel::joinable!(online_submissions -> parcels (parcel_id));
diesel::joinable!(online_submissions -> procedures (procedure_code));
diesel::joinable!(online_submissions -> users (decided_by));
diesel::joinable!(submission_files -> online_submissions (submission_id));
diesel::joinable!(geometry_checks -> dossiers (dossier_id));
diesel::joinable!(geometry_checks -> parcels (parcel_id));
diesel::joinable!(parcel_land_uses -> land_use_types (land_use_code));
diesel::joinable!(parcel_land_uses -> parcel_versions (parcel_version_id));
diesel::joinable!(parcel_versions -> parcels (parcel_id));
diesel::joinable!(planning_plans -> admin_units (admin_unit_id));
diesel::joinable!(planning_zones -> land_use_types (land_use_code));
diesel::joinable!(planning_zones -> planning_plans (plan_id));
diesel::joinable!(change_rules -> procedures (procedure_code));
diesel::joinable!(party_members -> parties (party_id));
diesel::joinable!(rrr_changes -> dossiers (dossier_id));
diesel::joinable!(rrr_changes -> parcels (parcel_id));
diesel::joinable!(rrr_changes -> users (recorded_by));
diesel::joinable!(rrr_shares -> parties (party_id));
diesel::joinable!(rrr_shares -> rrrs (rrr_id));
diesel::joinable!(restriction_consents -> dossiers (dossier_id));
diesel::joinable!(restriction_consents -> rrrs (rrr_id));
diesel::joinable!(restriction_consents -> users (recorded_by));
diesel::joinable!(rrrs -> parcel_versions (parcel_version_id));
diesel::joinable!(rrrs -> parcels (parcel_id));

diesel::allow_tables_to_appear_in_same_query!(
    admin_unit_predecessors,
    admin_units,
    api_tokens,
    apology_letters,
    audit_chain_head,
    audit_log,
    calendar_days,
    certificate_blanks,
    certificates,
    change_rules,
    dossier_documents,
    dossier_events,
    dossier_obligations,
    dossier_parcels,
    dossier_pauses,
    dossiers,
    geometry_checks,
    import_jobs,
    issuing_authorities,
    land_use_types,
    notices,
    online_submissions,
    parcel_land_uses,
    parcel_versions,
    parcels,
    parties,
    party_members,
    planning_plans,
    planning_zones,
    procedures,
    receipt_counters,
    reference_documents,
    registry_counters,
    restriction_blocks,
    restriction_consents,
    rrr_changes,
    rrr_shares,
    rrrs,
    sign_in_failures,
    signing_keys,
    submission_files,
    users,
);
