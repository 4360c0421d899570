namespace Bets.Api.Grid;

/// <summary>
/// Probability that a driftless geometric Brownian motion touches the price band [low, high] during [t1, t2].
/// With X = ln S a Brownian motion of volatility σ (per √second) started at x0:
/// <list type="bullet">
/// <item>t1 = 0: 1 inside the band; otherwise the reflection principle, P(touch level b by τ) = 2Φ(-|b - x0| / σ√τ).</item>
/// <item>t1 &gt; 0: P(X_t1 in band) + 2[Φ(bₕ) - Φ₂(aₕ, bₕ; ρ)] + 2[Φ(aₗ) - Φ₂(aₗ, bₗ; ρ)], where a = (level - x0)/σ√t1,
/// b = (level - x0)/σ√t2, ρ = √(t1/t2), and the low-side terms are written for the mirrored variable. This follows from
/// the reflection principle applied after t1: given X_t1 = y above the band, P(min ≤ h) = 2Φ((h - y)/σ√τ), and
/// integrating over y turns into a bivariate normal of (X_t1, X_t2).</item>
/// </list>
/// </summary>
public static class TouchProbability
{
    public static double Compute(double spot, double low, double high, double sigmaPerSqrtSecond, double t1Seconds, double t2Seconds)
    {
        if (!(spot > 0 && low > 0 && high > low && t2Seconds > t1Seconds && t2Seconds > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(spot));
        }

        if (sigmaPerSqrtSecond <= 0)
        {
            return spot >= low && spot <= high ? 1 : 0;
        }

        var x0 = Math.Log(spot);
        var l = Math.Log(low);
        var h = Math.Log(high);
        var t1 = Math.Max(0, t1Seconds);
        if (t1 < 1e-9)
        {
            if (x0 >= l && x0 <= h)
            {
                return 1;
            }

            var distance = x0 > h ? x0 - h : l - x0;
            return Math.Min(1, 2 * Normal.Cdf(-distance / (sigmaPerSqrtSecond * Math.Sqrt(t2Seconds))));
        }
        var s1 = sigmaPerSqrtSecond * Math.Sqrt(t1);
        var s2 = sigmaPerSqrtSecond * Math.Sqrt(t2Seconds);
        var rho = Math.Sqrt(t1 / t2Seconds);

        var inBand = Normal.Cdf((h - x0) / s1) - Normal.Cdf((l - x0) / s1);
        // Above the band at t1, then down through h before t2: 2 P(X_t1 > h, X_t2 <= h).
        var ah = (h - x0) / s1;
        var bh = (h - x0) / s2;
        var fromAbove = 2 * (Normal.Cdf(bh) - Normal.BivariateCdf(ah, bh, rho));
        // Below the band at t1, then up through l: 2 P(X_t1 < l, X_t2 >= l) = 2 P(-X_t1 > -l, -X_t2 <= -l).
        var al = (x0 - l) / s1;
        var bl = (x0 - l) / s2;
        var fromBelow = 2 * (Normal.Cdf(bl) - Normal.BivariateCdf(al, bl, rho));
        return Math.Clamp(inBand + fromAbove + fromBelow, 0, 1);
    }
}

/// <summary>Standard normal distribution functions, accurate to ~1e-14 (series and continued fraction for erfc).</summary>
public static class Normal
{
    private const double InvSqrt2Pi = 0.3989422804014327;

    public static double Pdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    public static double Cdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    public static double Erfc(double x)
    {
        if (x < 0)
        {
            return 2 - Erfc(-x);
        }

        if (x < 2.5)
        {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double sum = x, term = x, x2 = x * x;
            for (var n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        // Continued fraction (modified Lentz): erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (var n = 1; n < 500; n++)
        {
            var an = n / 2.0;
            d = x + an * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = x + an / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>
    /// Φ₂(a, b; ρ) = P(X ≤ a, Y ≤ b) for standard normals with correlation ρ in [0, 1), from
    /// Φ₂ = Φ(a)Φ(b) + (1/2π) ∫₀^{asin ρ} exp(-(a² + b² - 2ab sin θ) / (2 cos² θ)) dθ
    /// (∂Φ₂/∂ρ is the bivariate density; substitute ρ = sin θ). The integrand is smooth on the whole range used here
    /// (ρ = √(t₁/t₂) ≤ 0.99), so 32-point Gauss–Legendre is accurate to ~1e-12 at a few dozen exponentials per call.
    /// </summary>
    public static double BivariateCdf(double a, double b, double rho)
    {
        if (rho < 0 || rho >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rho));
        }

        var independent = Cdf(a) * Cdf(b);
        if (rho == 0)
        {
            return independent;
        }

        var upper = Math.Asin(rho);
        var half = upper / 2;
        double sum = 0;
        for (var i = 0; i < GaussLegendre.Nodes.Length; i++)
        {
            var theta = half * (GaussLegendre.Nodes[i] + 1);
            var sin = Math.Sin(theta);
            var cos2 = 1 - sin * sin;
            sum += GaussLegendre.Weights[i] * Math.Exp(-(a * a + b * b - 2 * a * b * sin) / (2 * cos2));
        }
        return Math.Clamp(independent + half * sum / (2 * Math.PI), 0, 1);
    }

    /// <summary>32-point Gauss–Legendre nodes and weights on [-1, 1], computed once by Newton's method.</summary>
    private static class GaussLegendre
    {
        public static readonly double[] Nodes = new double[32];
        public static readonly double[] Weights = new double[32];

        static GaussLegendre()
        {
            const int n = 32;
            for (var i = 0; i < n; i++)
            {
                var x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5));
                double derivative;
                while (true)
                {
                    double p0 = 1, p1 = x;
                    for (var k = 2; k <= n; k++)
                    {
                        var pk = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                        p0 = p1;
                        p1 = pk;
                    }
                    derivative = n * (x * p1 - p0) / (x * x - 1);
                    var dx = p1 / derivative;
                    x -= dx;
                    if (Math.Abs(dx) < 1e-15)
                    {
                        break;
                    }
                }
                Nodes[i] = x;
                Weights[i] = 2 / ((1 - x * x) * derivative * derivative);
            }
        }
    }
}
