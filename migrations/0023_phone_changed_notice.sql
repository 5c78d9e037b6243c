-- An officer changes an account's phone at the desk; the old phone is told (without the new number), the one
-- warning a citizen gets if someone moved their account's codes to a phone of their own.
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_purpose_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_purpose_check
  CHECK (purpose IN ('first_password', 'password_reset', 'sign_in_code', 'device_bound', 'phone_changed'));
