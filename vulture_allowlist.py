"""Names vulture (the dead-code check, `vulture` with [tool.vulture] in pyproject.toml) cannot see used.

Everything here is used by name by a framework or only by the tests; anything else vulture reports is
dead and should be deleted, not added here. Regenerate a line with `vulture --make-whitelist`.
"""
# ruff: noqa

_ = object()

# Called only by the tests: the rules and checks they pin down.
clean_choice  # app/core/params.py
consultant_amount  # app/followups/penalties.py
reclaim_eligible  # app/followups/rules.py
missing_translations  # app/web/i18n_check.py
carries_request_id  # app/web/logging_setup.py

# Found by name: WTForms validate_<field> methods and Meta, Flask-Login is_active, the
# limits storage interface (throttle.py), template-only properties (has_prev).
_.is_active  # app/accounts/models.py
Meta  # app/admin/forms.py
_.validate_sms_window_end  # app/admin/forms.py
_.validate_wecom_webhook_url  # app/admin/forms.py
_.validate_birthday  # app/leads/forms.py
_.validate_version  # app/leads/forms.py
_.has_prev  # app/leads/queries.py
_.validate_vin  # app/pipeline/forms.py
_.validate_consultant_id  # app/showroom/forms.py
_.check  # app/web/throttle.py
_.get_expiry  # app/web/throttle.py
_.base_exceptions  # app/web/throttle.py

# Form fields, model columns and attributes written for the database, named tuple fields and
# parameters a callback signature requires.
submit  # app/accounts/forms.py
deactivated_at  # app/accounts/models.py
last_login_at  # app/accounts/models.py
_.deactivated_at  # app/accounts/services.py
_.last_login_at  # app/accounts/views.py
category  # app/admin/forms.py
export_row_cap  # app/admin/forms.py
first_contact_hours  # app/admin/forms.py
invited_not_arrived_days  # app/admin/forms.py
rsvp_cutoff_hours  # app/admin/forms.py
_.render_kw  # app/admin/reference_views.py
_.expire_on_commit  # app/core/commit.py
finished_at  # app/files/models.py
_.decided_by_id  # app/followups/assignment.py
decided_by_id  # app/followups/models.py
grade_after_id  # app/followups/models.py
grade_before_id  # app/followups/models.py
ran_at  # app/followups/models.py
suggested_user_id  # app/followups/models.py
_.last_followup_at  # app/followups/services.py
email_opted_out  # app/invitations/public.py
has_email  # app/invitations/public.py
lock  # app/invitations/public.py
masked_phone  # app/invitations/public.py
sms_opted_out  # app/invitations/public.py
accepted_people  # app/invitations/queries.py
arrived_people  # app/invitations/queries.py
came_unanswered  # app/invitations/queries.py
confirmed  # app/invitations/queries.py
declined  # app/invitations/queries.py
_.max_content_length  # app/leads/api.py
_.consent_at  # app/leads/editing.py
_.row_count  # app/leads/exports.py
_.normalized  # app/leads/forms.py
_.finished_at  # app/leads/importing/commit.py
_.processed_rows  # app/leads/importing/commit.py
_.text_version  # app/leads/intake.py
configuration  # app/leads/models.py
consent_at  # app/leads/models.py
dcc_agent  # app/leads/models.py
from_store_id  # app/leads/models.py
granted  # app/leads/models.py
last_followup_at  # app/leads/models.py
processed_rows  # app/leads/models.py
row_count  # app/leads/models.py
stage_changed_by  # app/leads/models.py
text_version  # app/leads/models.py
to_store_id  # app/leads/models.py
masked  # app/leads/queries.py
claimed_by  # app/messaging/models.py
_.claimed_by  # app/messaging/outbox.py
aria_label  # app/pipeline/cards.py
days_text  # app/pipeline/cards.py
grade_label  # app/pipeline/cards.py
model_label  # app/pipeline/cards.py
cards  # app/pipeline/views.py
_.comparison  # app/reports/catalog.py
bys  # app/reports/catalog.py
_.show_minor_x_labels  # app/reports/charts.py
_.x_labels  # app/reports/charts.py
_.x_labels_major  # app/reports/charts.py
_.alignment  # app/reports/excel.py
_.fill  # app/reports/excel.py
_.font  # app/reports/excel.py
_.freeze_panes  # app/reports/excel.py
_.number_format  # app/reports/excel.py
test_drives  # app/reports/forms.py
page_size  # app/reports/tables.py
registered_by_id  # app/showroom/models.py
_._immediate  # app/tasks.py
_.storage_class  # app/tasks.py
_.storage_kwargs  # app/tasks.py
_.bench_queries  # app/web/bench.py
_.bench_started  # app/web/bench.py
parameters  # app/web/bench.py
_.metrics_started  # app/web/metrics.py
_.login_message_category  # app/web/sessions.py
_.login_view  # app/web/sessions.py
_.permanent  # app/web/sessions.py
_.session_protection  # app/web/sessions.py
remember  # app/web/sessions.py
STORAGE_SCHEME  # app/web/throttle.py

# Read by templates or the database only: columns shown on pages, counters kept by triggers.
_.last_ip  # app/accounts/models.py (the device lists), app/web/sessions.py
_.expected_people  # app/invitations/models.py (event_door_counts, kept by triggers)
_.accepted_arrived  # app/invitations/models.py (event_door_counts, kept by triggers)
_.for_row  # app/followups/workload_text.py (templates/followups/reclaim.html)

# Used by name by WTForms (the CSRF field without an id) and by gunicorn's config file.
_.field_class  # app/web/forms.py
_.csrf_class  # app/web/forms.py
use_json_for_gunicorn  # app/web/logging_setup.py, called from deploy/gunicorn.conf.py

# Called only by the tests: the recount the kept door counters must equal, the access sweep.
door_counters_counted  # app/invitations/queries.py
view_roles  # app/web/access.py
roles_for  # app/web/permissions.py
