-- The full population record (domain.md): birth-registration provinces, the record itself, relatives and
-- integrated documents. Constraints carry the rules that must hold whoever writes the rows.

CREATE TABLE provinces (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
  name text NOT NULL UNIQUE
);
INSERT INTO provinces (code, name) VALUES
  ('001', 'Hà Nội'),
  ('002', 'Hà Giang'),
  ('004', 'Cao Bằng'),
  ('006', 'Bắc Kạn'),
  ('008', 'Tuyên Quang'),
  ('010', 'Lào Cai'),
  ('011', 'Điện Biên'),
  ('012', 'Lai Châu'),
  ('014', 'Sơn La'),
  ('015', 'Yên Bái'),
  ('017', 'Hòa Bình'),
  ('019', 'Thái Nguyên'),
  ('020', 'Lạng Sơn'),
  ('022', 'Quảng Ninh'),
  ('024', 'Bắc Giang'),
  ('025', 'Phú Thọ'),
  ('026', 'Vĩnh Phúc'),
  ('027', 'Bắc Ninh'),
  ('030', 'Hải Dương'),
  ('031', 'Hải Phòng'),
  ('033', 'Hưng Yên'),
  ('034', 'Thái Bình'),
  ('035', 'Hà Nam'),
  ('036', 'Nam Định'),
  ('037', 'Ninh Bình'),
  ('038', 'Thanh Hóa'),
  ('040', 'Nghệ An'),
  ('042', 'Hà Tĩnh'),
  ('044', 'Quảng Bình'),
  ('045', 'Quảng Trị'),
  ('046', 'Thừa Thiên Huế'),
  ('048', 'Đà Nẵng'),
  ('049', 'Quảng Nam'),
  ('051', 'Quảng Ngãi'),
  ('052', 'Bình Định'),
  ('054', 'Phú Yên'),
  ('056', 'Khánh Hòa'),
  ('058', 'Ninh Thuận'),
  ('060', 'Bình Thuận'),
  ('062', 'Kon Tum'),
  ('064', 'Gia Lai'),
  ('066', 'Đắk Lắk'),
  ('067', 'Đắk Nông'),
  ('068', 'Lâm Đồng'),
  ('070', 'Bình Phước'),
  ('072', 'Tây Ninh'),
  ('074', 'Bình Dương'),
  ('075', 'Đồng Nai'),
  ('077', 'Bà Rịa - Vũng Tàu'),
  ('079', 'Hồ Chí Minh'),
  ('080', 'Long An'),
  ('082', 'Tiền Giang'),
  ('083', 'Bến Tre'),
  ('084', 'Trà Vinh'),
  ('086', 'Vĩnh Long'),
  ('087', 'Đồng Tháp'),
  ('089', 'An Giang'),
  ('091', 'Kiên Giang'),
  ('092', 'Cần Thơ'),
  ('093', 'Hậu Giang'),
  ('094', 'Sóc Trăng'),
  ('095', 'Bạc Liêu'),
  ('096', 'Cà Mau');

ALTER TABLE citizens
  -- PPP of the personal ID number is the birth-registration province: derived, never entered twice.
  ADD COLUMN birth_province_code text GENERATED ALWAYS AS (substr(personal_id, 1, 3)) STORED REFERENCES provinces (code),
  ADD COLUMN nationality text,
  ADD COLUMN ethnicity text,
  ADD COLUMN religion text,
  ADD COLUMN place_of_origin text,
  ADD COLUMN residence_street text,
  ADD COLUMN residence_ward text,
  ADD COLUMN residence_district text,
  ADD COLUMN residence_province text,
  ADD COLUMN portrait_ref text,
  ADD COLUMN id_card_issued_on date,
  ADD COLUMN id_card_expires_on date,
  ADD COLUMN id_card_issuer text,
  ADD COLUMN social_insurance_number text UNIQUE CHECK (social_insurance_number ~ '^[0-9]{10}$'),
  ADD CONSTRAINT citizens_birthdate_range CHECK (birthdate BETWEEN DATE '1800-01-01' AND DATE '2299-12-31'),
  -- C YY of the number agree with sex and year of birth (0/1 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 1800s).
  ADD CONSTRAINT citizens_personal_id_agrees CHECK (
    substr(personal_id, 5, 2) = lpad((extract(year FROM birthdate)::int % 100)::text, 2, '0')
    AND substr(personal_id, 4, 1)::int =
      (CASE WHEN extract(year FROM birthdate) < 1900 THEN 8 ELSE (extract(year FROM birthdate)::int / 100 - 19) * 2 END)
      + (CASE sex WHEN 'female' THEN 1 ELSE 0 END)
  ),
  ADD CONSTRAINT citizens_id_card_dates CHECK (id_card_expires_on IS NULL OR id_card_issued_on IS NULL OR id_card_expires_on > id_card_issued_on);

CREATE TABLE citizen_relatives (
  personal_id          text     NOT NULL REFERENCES citizens (personal_id) ON DELETE CASCADE,
  relation             text     NOT NULL CHECK (relation IN ('father', 'mother', 'spouse', 'guardian')),
  -- Older relatives may have no number; a number given need not have a record here (yet).
  relative_personal_id text     CHECK (relative_personal_id ~ '^[0-9]{12}$'),
  full_name            text     NOT NULL CHECK (full_name <> ''),
  birth_year           smallint CHECK (birth_year BETWEEN 1800 AND 2299),
  PRIMARY KEY (personal_id, relation),
  CHECK (relative_personal_id IS DISTINCT FROM personal_id)
);
-- "Whose parent or guardian is this citizen?" (dependents) must not scan.
CREATE INDEX citizen_relatives_relative ON citizen_relatives (relative_personal_id) WHERE relative_personal_id IS NOT NULL;

CREATE TABLE driver_licenses (
  number      text   PRIMARY KEY CHECK (number ~ '^[0-9]{12}$'),
  personal_id text   NOT NULL REFERENCES citizens (personal_id) ON DELETE CASCADE,
  classes     text[] NOT NULL CHECK (cardinality(classes) > 0),
  issued_on   date   NOT NULL,
  expires_on  date   CHECK (expires_on IS NULL OR expires_on > issued_on)
);
CREATE INDEX driver_licenses_personal_id ON driver_licenses (personal_id);

CREATE TABLE vehicle_registrations (
  -- e.g. 29A-123.45 (car), 59X1-123.45 (motorcycle), 30E-1234 (older four-digit series)
  plate         text PRIMARY KEY CHECK (plate ~ '^[0-9]{2}[A-Z]{1,2}[0-9]?-([0-9]{4}|[0-9]{3}\.[0-9]{2})$'),
  personal_id   text NOT NULL REFERENCES citizens (personal_id) ON DELETE CASCADE,
  type          text NOT NULL CHECK (type IN ('motorcycle', 'car', 'truck', 'bus', 'trailer', 'other')),
  brand         text,
  registered_on date NOT NULL
);
CREATE INDEX vehicle_registrations_personal_id ON vehicle_registrations (personal_id);

CREATE TABLE health_insurance_cards (
  card_number text PRIMARY KEY CHECK (card_number ~ '^[A-Z]{2}[0-9]{13}$'),
  personal_id text NOT NULL UNIQUE REFERENCES citizens (personal_id) ON DELETE CASCADE,
  clinic      text NOT NULL,
  valid_from  date NOT NULL,
  valid_to    date CHECK (valid_to IS NULL OR valid_to > valid_from)
);
