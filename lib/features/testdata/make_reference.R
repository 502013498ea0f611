#!/usr/bin/env Rscript
# Expected values for lib/features/reference_test.ts, computed by R's TTR (Debian r-cran-ttr).
#
# Reads the first 400 rows of two tickers from ../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz (AAPL: a
# large-cap with prices ~70-130; AMD: a $2-4 stock whose 2-decimal prices give many ties and flat days), runs
# each TTR indicator and writes testdata/ttr_<TICKER>.csv. To keep the files small it writes only the rows listed
# in `keep` (every row of the warm-up region 0..59, then every 7th row); the `row` column is the 0-based index
# into the ticker's series. Values are written with 12 significant digits (rounding error <= 5e-13 relative).
# The input data is not written; the test re-reads it from ../shared/data.
#
# Run from the repository root:  Rscript lib/features/testdata/make_reference.R
suppressPackageStartupMessages(library(TTR))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "lib/features/testdata"
data_file <- normalizePath(file.path(here, "../../../../shared/data/sp500-5yr-ohlcv/all_stocks_5yr.csv.gz"))
all <- read.csv(gzfile(data_file), stringsAsFactors = FALSE)
cat("TTR", as.character(packageVersion("TTR")), "on", R.version.string, "\n")

N_ROWS <- 400
keep <- sort(unique(c(0:59, seq(60, N_ROWS - 1, by = 7), N_ROWS - 1)))

for (ticker in c("AAPL", "AMD")) {
  d <- all[all$Name == ticker, ]
  d <- d[order(d$date), ][1:N_ROWS, ]
  stopifnot(!anyNA(d[, c("open", "high", "low", "close", "volume")]))
  O <- d$open; H <- d$high; L <- d$low; C <- d$close; V <- as.numeric(d$volume)
  HLC <- cbind(H, L, C)
  OHLC <- cbind(O, H, L, C)

  macd_abs <- MACD(C, 12, 26, 9, percent = FALSE)
  macd_pct <- MACD(C, 12, 26, 9, percent = TRUE)
  bb <- BBands(C, n = 20, sd = 2)
  bb_hlc <- BBands(HLC, n = 20, sd = 2)
  atr <- ATR(HLC, n = 14)
  adx <- ADX(HLC, n = 14)
  st <- stoch(HLC, nFastK = 14, nFastD = 3, nSlowD = 3)
  dc <- DonchianChannel(cbind(H, L), n = 20)

  out <- data.frame(
    row = 0:(N_ROWS - 1),
    sma_20 = SMA(C, 20),
    ema_20 = EMA(C, 20),
    ema_wilder_14 = EMA(C, 14, wilder = TRUE),
    wma_10 = WMA(C, 10),
    wilder_sum_14 = wilderSum(C, 14),
    rsi_14 = RSI(C, 14),
    macd = macd_abs[, "macd"], macd_signal = macd_abs[, "signal"],
    macd_pct = macd_pct[, "macd"], macd_pct_signal = macd_pct[, "signal"],
    bb_dn = bb[, "dn"], bb_mavg = bb[, "mavg"], bb_up = bb[, "up"], bb_pctb = bb[, "pctB"],
    bb_hlc_pctb = bb_hlc[, "pctB"],
    tr = atr[, "tr"], atr_14 = atr[, "atr"],
    di_plus = adx[, "DIp"], di_minus = adx[, "DIn"], dx = adx[, "DX"], adx_14 = adx[, "ADX"],
    stoch_fastk = st[, "fastK"], stoch_fastd = st[, "fastD"], stoch_slowd = st[, "slowD"],
    wpr_14 = WPR(HLC, 14),
    cci_20 = CCI(HLC, 20),
    obv = OBV(C, V),
    mfi_14 = MFI(HLC, V, 14),
    roc_log_5 = ROC(C, 5, type = "continuous"),
    roc_simple_5 = ROC(C, 5, type = "discrete"),
    dc_high = dc[, "high"], dc_mid = dc[, "mid"], dc_low = dc[, "low"],
    run_sum_v_20 = runSum(V, 20),
    run_sd_20 = runSD(C, 20),
    run_min_l_20 = runMin(L, 20),
    run_max_h_20 = runMax(H, 20),
    zscore_20 = (C - runMean(C, 20)) / runSD(C, 20),
    vol_close_21 = volatility(C, n = 21, calc = "close", N = 260),
    vol_parkinson_20 = volatility(OHLC, n = 20, calc = "parkinson", N = 260),
    vol_gk_20 = volatility(OHLC, n = 20, calc = "garman.klass", N = 260),
    vol_rs_20 = volatility(OHLC, n = 20, calc = "rogers.satchell", N = 260),
    vol_yz_20 = volatility(OHLC, n = 20, calc = "yang.zhang", N = 260)
  )
  out <- out[out$row %in% keep, ]
  for (j in 2:ncol(out)) out[[j]] <- ifelse(is.na(out[[j]]), "NA", sprintf("%.12g", out[[j]]))
  path <- file.path(here, sprintf("ttr_%s.csv", ticker))
  write.csv(out, path, row.names = FALSE, quote = FALSE)
  cat("wrote", path, nrow(out), "rows x", ncol(out) - 1, "indicators\n")
}
