import { ConfigError, loadConfig } from '../../src/config';

describe('PROVML_LIVE_RETENTION', () => {
  it('is 7 days unless set; takes a number and a unit; 0 and off keep the log forever', () => {
    expect(loadConfig({}).liveRetentionMs).toBe(7 * 86_400_000);
    expect(loadConfig({ PROVML_LIVE_RETENTION: '12h' }).liveRetentionMs).toBe(12 * 3_600_000);
    expect(loadConfig({ PROVML_LIVE_RETENTION: '90s' }).liveRetentionMs).toBe(90_000);
    expect(loadConfig({ PROVML_LIVE_RETENTION: '500ms' }).liveRetentionMs).toBe(500);
    expect(loadConfig({ PROVML_LIVE_RETENTION: 'off' }).liveRetentionMs).toBeNull();
    expect(loadConfig({ PROVML_LIVE_RETENTION: '0' }).liveRetentionMs).toBeNull();
  });

  it('refuses what is not a duration, naming the variable', () => {
    for (const bad of ['soon', '7', '0d', '-1h', '1w'])
      expect(() => loadConfig({ PROVML_LIVE_RETENTION: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ PROVML_LIVE_RETENTION: 'soon' })).toThrow(/PROVML_LIVE_RETENTION: soon is not a duration/);
  });
});
