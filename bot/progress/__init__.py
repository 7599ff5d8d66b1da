"""Learning progress (督学): platform exports imported as dated snapshots, per-student status, chasing, the contact
log (台账) and the monthly 数据通报. The service is `bot.progress.service.Progress`."""
