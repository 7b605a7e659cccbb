import { expect } from 'chai';
import { parseDuration } from '../src/duration.ts';

describe('parseDuration', () => {
  it('reads Prometheus durations, compound ones included', () => {
    expect(parseDuration('250ms')).to.equal(250);
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('2m')).to.equal(120_000);
    expect(parseDuration('1m30s')).to.equal(90_000);
    expect(parseDuration('1h30m')).to.equal(5_400_000);
    expect(parseDuration('3d')).to.equal(259_200_000);
    expect(parseDuration('1w')).to.equal(604_800_000);
  });

  it('takes decimals, and a bare number as seconds', () => {
    expect(parseDuration('1.5s')).to.equal(1_500);
    expect(parseDuration('0')).to.equal(0);
    expect(parseDuration('30')).to.equal(30_000);
    expect(parseDuration(' 5s ')).to.equal(5_000);
  });

  it('refuses anything else, naming the input', () => {
    for (const bad of ['', 'soon', '5 s', '5x', '-5s', '1m30', 's', '5sm']) {
      expect(() => parseDuration(bad), bad).to.throw(`not a duration: ${JSON.stringify(bad)}`);
    }
  });
});
