-- A citizen is told by SMS whenever a device is bound to their account: the one warning they get if someone who
-- knows their password and holds their phone's codes binds a device of their own.
ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_purpose_check;
ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_purpose_check
  CHECK (purpose IN ('first_password', 'password_reset', 'sign_in_code', 'device_bound'));
