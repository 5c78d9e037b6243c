// A clock the test moves by hand, for lockouts, code expiry and ages (passed to buildApp as deps.clock).
export interface TestClock {
  now: () => Date;
  advance(seconds: number): void;
}

export function testClock(start = new Date()): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(seconds) {
      current += seconds * 1000;
    },
  };
}
