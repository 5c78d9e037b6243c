-- What the development sandbox put into this database (officers and a client with published passwords,
-- synthetic citizens), so that production can refuse to run with it and `cli sandbox remove` can take it out.
CREATE TABLE sandbox_seed (
  kind text NOT NULL CHECK (kind IN ('officer', 'relying_party', 'citizen')),
  key  text NOT NULL CHECK (key <> ''),
  PRIMARY KEY (kind, key)
);

-- Databases seeded before this table existed: the sandbox's fixed identities (src/sandbox/seed.ts).
INSERT INTO sandbox_seed (kind, key)
  SELECT 'officer', username FROM officers WHERE username IN ('canbo', 'giamsat', 'giamsat2');
INSERT INTO sandbox_seed (kind, key)
  SELECT 'relying_party', client_id FROM relying_parties WHERE client_id = 'sandbox';
INSERT INTO sandbox_seed (kind, key)
  SELECT 'citizen', personal_id FROM citizens
  WHERE personal_id IN ('001090012345', '079185000123', '048201004567', '031303007890', '092075001122',
                        '001318004321', '001188000321', '001216000654', '036079000987');
