"""Grafana's unit ids: the `id`s of the value formats in Grafana's
`packages/grafana-data/src/valueFormats/categories.ts` (current main, plus ids older releases still accept),
and the prefixes Grafana reads as custom units. Grafana shows an unknown unit as the bare number with the text
appended, so "seconds" or "requests/s" pass silently there."""

from __future__ import annotations

KNOWN_UNITS = frozenset(
    """
none string short percent percentunit humidity dB hex0x hex sci locale pixel
accMS2 accFS2 accG degree radian grad arcmin arcsec areaM2 areaF2 areaMI2
flops mflops gflops tflops pflops eflops zflops yflops
ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL
currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK currencyISK
currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC currencyμBTC currencyZAR
currencyINR currencyKRW
bits bytes kbytes mbytes gbytes tbytes pbytes decbits decbytes deckbytes decmbytes decgbytes dectbytes decpbytes
pps bps Bps KBs Kbits MBs Mbits GBs Gbits TBs Tbits PBs Pbits
dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeFromNow
watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg kwatth kwattm
amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm ohm kohm Mohm farad µfarad nfarad pfarad ffarad
henry mhenry µhenry lumens
flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux
forceNm forcekNm forceN forcekN Hs KHs MHs GHs THs PHs EHs massmg massg masskg masst
lengthmm lengthft lengthm lengthkm lengthmi
pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi
radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh
rotrpm rothz rotrads rotdegs rotmhz celsius fahrenheit kelvin
hertz ns µs ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
cps ops reqps rps wps iops cpm opm rpm wpm
velocityms velocitykmh velocitymph velocityknot mlitre litre m3 Nm3 dm3 gallons
bool bool_yes_no bool_on_off
sishort candela acres hectares currencyIDR currencyPHP currencyVND currencyTRY currencyMYR currencyXPF currencyBGN
currencyPYG currencyUYU currencyILS binBps binbps KiBs Kibits MiBs Mibits GiBs Gibits TiBs Tibits PiBs Pibits
dateTimeAsLocal dateTimeAsLocalNoDateIfToday dateTimeAsSystem mwatth mohm masslb lengthin rotkhz rotghz
eps mps recps rowsps reqpm epm mpm recpm rowspm
""".split()
)

# Custom units Grafana understands: "suffix: req", "si:W", "count:tokens", "currency:€", "time:YYYY-MM-DD", ...
CUSTOM_PREFIXES = ("suffix:", "prefix:", "si:", "count:", "currency:", "time:", "locale")
TIME_UNITS = frozenset({"ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms"})


def known(unit: str) -> bool:
    return unit in KNOWN_UNITS or unit.startswith(CUSTOM_PREFIXES)
