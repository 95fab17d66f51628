/* Golden checks on the files `driftlab sim` writes, against docs/THEORY.md's closed
 * forms re-typed here (not taken from the library), so a wrong formula in
 * src/kernel.c cannot vouch for itself.
 *
 *   check_run rates  MODES.dat KERNEL SIGMA T0 T1 REL_TOL MIN_GAMMA
 *       least-squares slope of log amp over [T0, T1] per mode, against
 *       gamma(k) (d = 1), for every mode with gamma >= MIN_GAMMA
 *   check_run ratio  MODES_A.dat MODES_B.dat SCALE T0 T1 REL_TOL
 *       A's fitted rate per mode against SCALE times B's (the companion kernel)
 *   check_run imgmodel IMGRATES.dat REL_TOL MIN_CHANGE
 *       each resolved shell's measured log gap change against the exact model,
 *       or, where the model's finite-N bound exceeds the tolerance, against
 *       that bound
 *   check_run anneal MODES.dat SIGMA0 RATE ABS_TOL
 *       ln(a_k(t)/a_k(0)) against the Gaussian annealed closed form at every
 *       output time
 *   check_run energy DIAGNOSTICS.dat FACTOR
 *       the last energy distance is at least FACTOR times below the first
 *   check_run same FILE_A FILE_B
 *       the data lines (not the '#' header) of two files are identical
 *   check_run close FILE_A FILE_B REL_TOL FLOOR
 *       the data lines of two tables have the same shape and every value of B
 *       is within REL_TOL of A's, in units of the largest |value| of A's column
 *       or FLOOR, whichever is larger (a column of pure rounding noise, such
 *       as V+ against a lattice target, ~1e-17, has no scale of its own)
 *   check_run fitted RATES.dat KERNEL SIGMA REL_TOL MIN_GAMMA
 *       the spectrum's fitted rates (column 2) of seeded modes against gamma(k)
 *   check_run improves TABLE.dat COLUMN FACTOR
 *       the last row's COLUMN (1-based) is at least FACTOR times below the first's
 *   check_run column_zero TABLE.dat COLUMN TOL
 *       every row's COLUMN (1-based) is finite and within TOL of 0
 *   check_run rows TABLE.dat N [any|finite:K]
 *       the table holds exactly N data rows, every value finite but the last
 *       column's (any: NaN allowed anywhere, e.g. a shell whose fit failed;
 *       finite:K: in the first K columns only)
 *   check_run fft SPECTRUM.dat MODES.dat REL_TOL FLOOR
 *       the mesh/FFT q_hat (columns 9, 10) against the direct sums of modes.dat
 *       at every matching (t, k) whose amplitude exceeds FLOOR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 200000
#define MAX_COLS 13 /* imgrates.dat's, the widest table read */

static double rows[MAX_ROWS][MAX_COLS];
static int ncols;

static int read_table(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < MAX_ROWS) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *p = line, *end;
        int c = 0;
        for (; c < MAX_COLS; c++) {
            double v = strtod(p, &end);
            if (end == p)
                break;
            rows[n][c] = v;
            p = end;
        }
        ncols = c;
        n++;
    }
    fclose(f);
    return n;
}

/* The 1-D rates typed out independently of the library (docs/THEORY.md sections 3
 * and 8), at s = sigma k.  "mmd:KERNEL" is the MMD flow on the torus of length
 * 2 pi (rho0 = 1 / (2 pi)): gamma = rho0 k^2 khat(k), with k = s / sigma;
 * "mmd:coulomb:D" the Coulomb flow on the D-torus of side 2 pi, rho0 = (2 pi)^-D. */
static double gamma_theory(const char *kernel, double s, double sigma)
{
    double nu;
    if (!strncmp(kernel, "mmd:", 4)) {
        const char *k = kernel + 4;
        double kk = s / sigma, rho0 = 1 / (2 * M_PI), khat;
        if (!strcmp(k, "gaussian"))
            khat = sqrt(2 * M_PI) * sigma * exp(-s * s / 2);
        else if (!strcmp(k, "laplacian"))
            khat = 2 * sigma / (1 + s * s);
        else if (!strcmp(k, "coulomb"))
            khat = 1 / (kk * kk);
        else if (!strcmp(k, "coulomb:2") || !strcmp(k, "coulomb:3")) /* rho0 = (2 pi)^-d */
            khat = pow(2 * M_PI, 1 - (k[8] - '0')) / (kk * kk);
        else
            goto unknown;
        return rho0 * kk * kk * khat;
    }
    if (!strcmp(kernel, "gaussian"))
        return s * s * exp(-s * s / 2);
    if (!strcmp(kernel, "laplacian"))
        return 2 * s * s / ((1 + s * s) * (1 + s * s));
    if (sscanf(kernel, "matern:%lf", &nu) == 1)
        return (2 * nu + 1) * s * s * pow(1 + s * s, -(nu + 1.5));
    if (!strcmp(kernel, "student:2")) /* s^(5/2) K_(1/2)(s) / (sqrt 2 Gamma(3/2)) */
        return s * s * exp(-s);
    if (!strcmp(kernel, "sech"))
        return (M_PI * s / 2) * tanh(M_PI * s / 2) / cosh(M_PI * s / 2);
unknown:
    fprintf(stderr, "no 1-D closed form for %s\n", kernel);
    exit(2);
}

/* The least-squares decay rate of mode kk over [t0, t1] in the table read
 * last; NAN with fewer than 3 points. */
static double fitted_rate(int n, int kk, double t0, double t1)
{
    double st = 0, sl = 0, stt = 0, stl = 0;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (fabs(rows[i][2] - kk) < 1e-9 && rows[i][0] >= t0 - 1e-9 && rows[i][0] <= t1 + 1e-9) {
            double t = rows[i][0], l = log(rows[i][5]);
            st += t, sl += l, stt += t * t, stl += t * l;
            m++;
        }
    return m < 3 ? NAN : -(m * stl - st * sl) / (m * stt - st * st);
}

static int check_rates(int argc, char **argv)
{
    if (argc != 9)
        return 2;
    int n = read_table(argv[2]);
    const char *kernel = argv[3];
    double sigma = atof(argv[4]), t0 = atof(argv[5]), t1 = atof(argv[6]);
    double tol = atof(argv[7]), min_gamma = atof(argv[8]);
    int failures = 0, checked = 0;
    for (int kk = 1; kk <= 64; kk++) {
        double g = fitted_rate(n, kk, t0, t1), want = gamma_theory(kernel, sigma * kk, sigma);
        if (isnan(g) || want < min_gamma)
            continue;
        double rel = (g - want) / want;
        int ok = fabs(rel) <= tol;
        printf("k=%d gamma measured %.6f theory %.6f rel %+.2f%% %s\n", kk, g, want, 100 * rel,
               ok ? "ok" : "FAIL");
        failures += !ok;
        checked++;
    }
    printf("%d passed, %d failed\n", checked - failures, failures);
    return failures || checked == 0;
}

/* imgrates.dat's measured ln(gap(T)/gap(0)) (column 10) against the exact
 * model's (column 11), shell by shell.  Where the model's own bound on what it
 * leaves out (column 13, the finite-N weight spread) is within REL_TOL of its
 * change, the shell is in the model's domain: the measured change must be
 * within REL_TOL where it exceeds MIN_CHANGE and the gap's change is resolved
 * above twice the noise of the two log powers (column 12), and below
 * MIN_CHANGE where the model's is (a shell that holds still).  Outside the
 * domain the measured change must lie within the bound of the model's. */
static int imgmodel_shell(const double *row, double tol, double min_change)
{
    const int k = (int)row[0];
    const double gap0 = row[2], meas = row[9], model = row[10], noise = row[11], bound = row[12];
    const double dgap = fabs(gap0 * (1 - exp(meas)));
    const int in_domain = bound <= tol * fmax(fabs(model), min_change);
    if (in_domain && fabs(model) < min_change) {
        const int ok = fabs(meas) < min_change;
        printf("shell %2d: holds still: measured %+.5f model %+.5f %s\n", k, meas, model, ok ? "ok" : "FAIL");
        return ok;
    }
    if (!(fabs(meas) > min_change && dgap > 2 * noise)) {
        printf("shell %2d: measured %+.5f model %+.5f, gap change %.4f below twice the noise %.4f: "
               "not resolved\n", k, meas, model, dgap, noise);
        return -1;
    }
    if (in_domain) {
        const int ok = fabs(meas / model - 1) <= tol;
        printf("shell %2d: measured %+.5f model %+.5f ratio %.3f %s\n", k, meas, model, meas / model,
               ok ? "ok" : "FAIL");
        return ok;
    }
    if (isinf(bound)) {
        printf("shell %2d: the model claims nothing (its finite-N bound is infinite): measured %+.5f, "
               "model %+.5f\n", k, meas, model);
        return -1;
    }
    const int ok = fabs(meas - model) <= bound;
    printf("shell %2d: outside the model's domain (finite-N bound %.4g > %g of %+.5f): measured %+.5f, "
           "off by %.4g %s\n", k, bound, tol, model, meas, fabs(meas - model), ok ? "ok" : "FAIL");
    return ok ? 2 : 0;
}

static int check_imgmodel(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    int n = read_table(argv[2]), failures = 0, in_domain = 0, outside = 0;
    if (ncols < MAX_COLS) {
        fprintf(stderr, "%s: %d columns, need %d (finite_n_bound last)\n", argv[2], ncols, MAX_COLS);
        return 2;
    }
    const double tol = atof(argv[3]), min_change = atof(argv[4]);
    for (int i = 0; i < n; i++) {
        const int r = imgmodel_shell(rows[i], tol, min_change);
        failures += r == 0, in_domain += r == 1, outside += r == 2;
    }
    printf("%d within %g in the model's domain, %d outside it within the finite-N bound, %d failed\n",
           in_domain, tol, outside, failures);
    return failures || in_domain + outside == 0;
}

/* Two runs' measured rates, mode by mode: A's against SCALE times B's. */
static int check_ratio(int argc, char **argv)
{
    if (argc != 8)
        return 2;
    double scale = atof(argv[4]), t0 = atof(argv[5]), t1 = atof(argv[6]), tol = atof(argv[7]);
    double ga[65], gb[65];
    int n = read_table(argv[2]);
    for (int kk = 1; kk <= 64; kk++)
        ga[kk] = fitted_rate(n, kk, t0, t1);
    n = read_table(argv[3]);
    for (int kk = 1; kk <= 64; kk++)
        gb[kk] = fitted_rate(n, kk, t0, t1);
    int failures = 0, checked = 0;
    for (int kk = 1; kk <= 64; kk++) {
        if (isnan(ga[kk]) || isnan(gb[kk]))
            continue;
        double want = scale * gb[kk], rel = (ga[kk] - want) / want;
        int ok = fabs(rel) <= tol;
        printf("k=%d gamma A %.6f, %g x B %.6f, rel %+.3f%% %s\n", kk, ga[kk], scale, want,
               100 * rel, ok ? "ok" : "FAIL");
        failures += !ok;
        checked++;
    }
    printf("%d passed, %d failed\n", checked - failures, failures);
    return failures || checked == 0;
}

static int check_anneal(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    int n = read_table(argv[2]);
    double sigma0 = atof(argv[3]), r = atof(argv[4]), tol = atof(argv[5]);
    int failures = 0, checked = 0;
    for (int kk = 1; kk <= 64; kk++) {
        double a0 = -1, worst = 0, worst_t = 0;
        for (int i = 0; i < n; i++) {
            if (fabs(rows[i][2] - kk) > 1e-9)
                continue;
            double t = rows[i][0], amp = rows[i][5], sig = sigma0 * exp(-r * t);
            if (a0 < 0)
                a0 = amp;
            /* docs/THEORY.md 4: -(1/r) [exp(-sigma(t)^2 k^2/2) - exp(-sigma0^2 k^2/2)]
             * (the run's floor is reached only at its last output) */
            double want = -(1 / r) * (exp(-sig * sig * kk * kk / 2) -
                                      exp(-sigma0 * sigma0 * kk * kk / 2));
            double got = log(amp / a0), d = fabs(got - want);
            if (d > worst)
                worst = d, worst_t = t;
            checked++;
            failures += d > tol;
        }
        if (a0 >= 0)
            printf("k=%d worst |ln a/a0 - theory| = %.4f at t = %g %s\n", kk, worst, worst_t,
                   worst <= tol ? "ok" : "FAIL");
    }
    printf("%d passed, %d failed\n", checked - failures, failures);
    return failures || checked == 0;
}

static int check_energy(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int n = read_table(argv[2]);
    double factor = atof(argv[3]);
    if (n < 2 || ncols < 7)
        return 2;
    double first = rows[0][6], last = rows[n - 1][6];
    int ok = last * factor <= first;
    printf("energy distance %.6g -> %.6g (ratio %.1f, need %g) %s\n", first, last, first / last,
           factor, ok ? "ok" : "FAIL");
    printf("%d passed, %d failed\n", ok, !ok);
    return !ok;
}

static int check_fitted(int argc, char **argv)
{
    if (argc != 7)
        return 2;
    int n = read_table(argv[2]);
    const char *kernel = argv[3];
    double sigma = atof(argv[4]), tol = atof(argv[5]), min_gamma = atof(argv[6]);
    int failures = 0, checked = 0;
    for (int i = 0; i < n; i++) {
        if (rows[i][8] != 1) /* seeded modes only */
            continue;
        double want = gamma_theory(kernel, sigma * rows[i][0], sigma);
        if (want < min_gamma)
            continue;
        double rel = (rows[i][1] - want) / want;
        int ok = fabs(rel) <= tol;
        printf("k=%g gamma fitted %.6f theory %.6f rel %+.2f%% %s\n", rows[i][0], rows[i][1], want,
               100 * rel, ok ? "ok" : "FAIL");
        failures += !ok;
        checked++;
    }
    printf("%d passed, %d failed\n", checked - failures, failures);
    return failures || checked == 0;
}

static double fft_rows[MAX_ROWS][4]; /* t k q_re q_im */

static int check_fft(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    int n = read_table(argv[2]);
    for (int i = 0; i < n; i++) {
        fft_rows[i][0] = rows[i][0];
        fft_rows[i][1] = rows[i][2];
        fft_rows[i][2] = rows[i][8];
        fft_rows[i][3] = rows[i][9];
    }
    int m = read_table(argv[3]);
    double tol = atof(argv[4]), floor_amp = atof(argv[5]), worst = 0;
    int compared = 0;
    for (int j = 0; j < m; j++) {
        if (rows[j][5] <= floor_amp)
            continue;
        for (int i = 0; i < n; i++)
            if (fabs(fft_rows[i][0] - rows[j][0]) < 1e-9 && fabs(fft_rows[i][1] - rows[j][2]) < 1e-9) {
                double d = hypot(fft_rows[i][2] - rows[j][3], fft_rows[i][3] - rows[j][4]) / rows[j][5];
                worst = fmax(worst, d);
                compared++;
                break;
            }
    }
    int ok = compared > 0 && worst <= tol;
    printf("FFT vs direct: %d mode-times compared, worst relative difference %.3g (need <= %g) %s\n",
           compared, worst, tol, ok ? "ok" : "FAIL");
    printf("%d passed, %d failed\n", ok, !ok);
    return !ok;
}

static int check_improves(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    int n = read_table(argv[2]), col = atoi(argv[3]) - 1;
    double factor = atof(argv[4]);
    if (n < 2 || col < 0 || col >= 12)
        return 2;
    double first = rows[0][col], last = rows[n - 1][col];
    int ok = isfinite(first) && isfinite(last) && last * factor <= first;
    printf("column %d: %.6g -> %.6g (factor %.2f, need %g) %s\n", col + 1, first, last, first / last,
           factor, ok ? "ok" : "FAIL");
    printf("%d passed, %d failed\n", ok, !ok);
    return !ok;
}

static int check_same(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    FILE *a = fopen(argv[2], "r"), *b = fopen(argv[3], "r");
    if (!a || !b)
        return 2;
    char la[4096], lb[4096];
    long lines = 0;
    int ok = 1;
    for (;;) {
        char *ra, *rb;
        while ((ra = fgets(la, sizeof la, a)) && la[0] == '#')
            ;
        while ((rb = fgets(lb, sizeof lb, b)) && lb[0] == '#')
            ;
        if (!ra || !rb) {
            ok &= !ra && !rb;
            break;
        }
        lines++;
        if (strcmp(la, lb)) {
            printf("line %ld differs:\n  %s  %s", lines, la, lb);
            ok = 0;
            break;
        }
    }
    printf("%ld data lines compared\n%d passed, %d failed\n", lines, ok, !ok);
    return !ok || lines == 0;
}

static int check_column_zero(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    int n = read_table(argv[2]), col = atoi(argv[3]) - 1, bad = 0;
    double tol = atof(argv[4]), worst = 0;
    if (n < 1 || col < 0 || col >= ncols)
        return 2;
    for (int i = 0; i < n; i++) {
        bad += !(fabs(rows[i][col]) <= tol);
        worst = fmax(worst, fabs(rows[i][col]));
    }
    printf("column %d over %d rows: largest |value| %.3g (need <= %g)\n", col + 1, n, worst, tol);
    printf("%d passed, %d failed\n", !bad, !!bad);
    return !!bad;
}

static int check_rows(int argc, char **argv)
{
    if (argc != 4 && argc != 5)
        return 2;
    int n = read_table(argv[2]), want = atoi(argv[3]), finite = 1;
    const int any = argc == 5 && !strcmp(argv[4], "any");
    /* finite:K: only the first K columns must be finite (the model's columns are NaN by design
     * on runs it does not cover); otherwise all but the last */
    const int named = argc == 5 && !strncmp(argv[4], "finite:", 7);
    const int upto = named ? atoi(argv[4] + 7) : ncols - 1;
    if (named && upto < 1) {
        fprintf(stderr, "rows: '%s' names no column (finite:K, K >= 1)\n", argv[4]);
        return 2;
    }
    for (int i = 0; i < n && !any; i++)
        for (int c = 0; c < ncols && c < upto; c++)
            finite &= isfinite(rows[i][c]) != 0;
    int ok = n == want && finite;
    printf("%d data rows (want %d), %s\n%d passed, %d failed\n", n, want,
           finite ? "all finite" : "NOT all finite", ok, !ok);
    return !ok;
}

static int check_close(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    static double a[MAX_ROWS][MAX_COLS];
    int na = read_table(argv[2]), ca = ncols;
    memcpy(a, rows, sizeof a);
    int nb = read_table(argv[3]), cb = ncols;
    const double tol = atof(argv[4]), floor_scale = atof(argv[5]);
    int ok = na == nb && ca == cb && na > 0;
    double worst = 0;
    for (int c = 0; ok && c < ca; c++) {
        double scale = floor_scale, diff = 0;
        for (int i = 0; i < na; i++)
            scale = fmax(scale, fabs(a[i][c]));
        for (int i = 0; i < na; i++)
            diff = fmax(diff, fabs(a[i][c] - rows[i][c]));
        double rel = diff / scale;
        worst = fmax(worst, rel);
        if (!(rel <= tol)) {
            printf("column %d: max |B - A| = %.3g of its scale %.3g (> %.3g)\n", c + 1, rel, scale, tol);
            ok = 0;
        }
    }
    printf("%s vs %s: %d x %d rows, largest difference %.3g of a column's scale\n%d passed, %d failed\n",
           argv[2], argv[3], na, nb, worst, ok, !ok);
    return !ok;
}

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 2 && !strcmp(argv[1], "imgmodel"))
        return check_imgmodel(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "ratio"))
        return check_ratio(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "rates"))
        rc = check_rates(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "anneal"))
        rc = check_anneal(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "energy"))
        rc = check_energy(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "same"))
        rc = check_same(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "close"))
        rc = check_close(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "improves"))
        rc = check_improves(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "fitted"))
        rc = check_fitted(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "fft"))
        rc = check_fft(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "column_zero"))
        rc = check_column_zero(argc, argv);
    else if (argc >= 2 && !strcmp(argv[1], "rows"))
        rc = check_rows(argc, argv);
    if (rc == 2)
        fprintf(stderr, "check_run: bad arguments (see the comment at the top of check_run.c)\n");
    return rc;
}
