/**
 * Runs before every test file. Property tests (fast-check) explore a fresh random seed on each
 * local run, so that every run can find something new; in CI (`CI=true`) they replay one fixed
 * seed, so that the verdict on a commit never depends on the luck of the draw. `FC_SEED=<n>`
 * replays any seed a failure printed.
 */
import fc from 'fast-check';

const fixedSeed = 20_261_121;
const requested = process.env['FC_SEED'];
if (requested !== undefined && requested !== '') {
  fc.configureGlobal({ seed: Number(requested) });
} else if (process.env['CI'] === 'true') {
  fc.configureGlobal({ seed: fixedSeed });
}
