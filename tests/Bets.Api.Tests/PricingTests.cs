using Bets.Api.Grid;

namespace Bets.Api.Tests;

public class PricingTests
{
    private const double Sigma = 1e-4; // per √s, about 56% a year

    [Theory]
    [InlineData(0.0), InlineData(0.5), InlineData(0.9), InlineData(0.99)]
    public void BivariateNormalAtTheOriginMatchesTheClosedForm(double rho)
    {
        // Φ₂(0, 0; ρ) = 1/4 + arcsin(ρ) / 2π (Sheppard).
        Assert.Equal(0.25 + Math.Asin(rho) / (2 * Math.PI), Normal.BivariateCdf(0, 0, rho), 6);
    }

    [Fact]
    public void BivariateNormalMatchesDirectIntegrationOfTheDensity()
    {
        // Reference: Φ₂(a, b; ρ) = ∫_{-∞}^{a} φ(x) Φ((b - ρx)/√(1-ρ²)) dx by composite Simpson with 20,000 panels.
        var random = new Random(3);
        for (var i = 0; i < 60; i++)
        {
            var a = random.NextDouble() * 8 - 4;
            var b = random.NextDouble() * 8 - 4;
            var rho = random.NextDouble() * 0.99;
            var s = Math.Sqrt(1 - rho * rho);
            const int panels = 20_000;
            double lower = -10, upper = a, step = (upper - lower) / panels;
            double F(double x) => Normal.Pdf(x) * Normal.Cdf((b - rho * x) / s);
            var sum = F(lower) + F(upper);
            for (var k = 1; k < panels; k++)
            {
                sum += F(lower + k * step) * (k % 2 == 1 ? 4 : 2);
            }

            Assert.Equal(sum * step / 3, Normal.BivariateCdf(a, b, rho), 9);
        }
    }

    [Theory]
    [InlineData(-3.0, 0.0013498980316301), InlineData(-1.0, 0.1586552539314571), InlineData(0.0, 0.5), InlineData(2.0, 0.9772498680518208), InlineData(-8.0, 6.22096057427178e-16)]
    public void NormalCdfMatchesPublishedValues(double x, double expected)
    {
        // Relative accuracy matters in the tails: tiny probabilities become large multipliers.
        Assert.InRange(Normal.Cdf(x) / expected, 1 - 1e-10, 1 + 1e-10);
    }

    [Theory]
    [InlineData(100.0, 101.0, 102.0, 60.0)]
    [InlineData(100.0, 97.0, 98.0, 300.0)]
    public void WindowStartingNowIsTheReflectionPrinciple(double spot, double low, double high, double t)
    {
        var level = spot < low ? low : high;
        var expected = 2 * Normal.Cdf(-Math.Abs(Math.Log(level / spot)) / (Sigma * Math.Sqrt(t)));
        Assert.Equal(expected, TouchProbability.Compute(spot, low, high, Sigma, 0, t), 10);
        Assert.Equal(1, TouchProbability.Compute(spot, spot - 1, spot + 1, Sigma, 0, t));
    }

    [Theory]
    [InlineData(100.0, 100.5, 101.0, 30.0, 60.0)]
    [InlineData(100.0, 99.0, 99.5, 120.0, 150.0)]
    [InlineData(100.0, 99.9, 100.2, 10.0, 40.0)]
    [InlineData(100.0, 102.0, 103.0, 200.0, 230.0)]
    public void FutureWindowMatchesAnIndependentMonteCarlo(double spot, double low, double high, double t1, double t2)
    {
        // Independent estimate: draw ln S at t1 and t2, then the exact Brownian-bridge probability of crossing the
        // nearer band edge between them (P(max ≥ b | x_a, x_b) = exp(-2 (b - x_a)(b - x_b) / σ²τ)).
        var random = new Random(12345);
        double x0 = Math.Log(spot), l = Math.Log(low), h = Math.Log(high), tau = t2 - t1;
        const int paths = 400_000;
        double sum = 0, sumSq = 0;
        for (var i = 0; i < paths; i++)
        {
            var y = x0 + Sigma * Math.Sqrt(t1) * Gaussian(random);
            var w = y + Sigma * Math.Sqrt(tau) * Gaussian(random);
            double p;
            if (y >= l && y <= h)
            {
                p = 1;
            }
            else if (y > h)
            {
                p = w <= h ? 1 : Math.Exp(-2 * (y - h) * (w - h) / (Sigma * Sigma * tau));
            }
            else
            {
                p = w >= l ? 1 : Math.Exp(-2 * (l - y) * (l - w) / (Sigma * Sigma * tau));
            }

            sum += p;
            sumSq += p * p;
        }
        var mean = sum / paths;
        var stdErr = Math.Sqrt((sumSq / paths - mean * mean) / paths);
        var closedForm = TouchProbability.Compute(spot, low, high, Sigma, t1, t2);
        Assert.InRange(closedForm, mean - 5 * stdErr - 1e-4, mean + 5 * stdErr + 1e-4);
    }

    private static double Gaussian(Random r) =>
        Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    [Fact]
    public void MultiplierIsOneMinusEdgeOverProbabilityRoundedDownAndCapped()
    {
        var o = new GridOptions { BandWidth = 10, HouseEdge = 0.05, MaxMultiplier = 50, MinLeadSeconds = 10, WindowSeconds = 30 };
        const long now = 1_700_000_000_000;
        var start = GridCalculator.FirstWindowStart(now, 30) + 30_000;
        var cell = GridCalculator.PriceCell(60_005m, GridCalculator.PerSecond(0.6), now, 6001, start, o);
        var expected = Math.Floor((decimal)(0.95 / cell.Probability) * 100) / 100;
        Assert.Equal(Math.Min(expected, 50m), cell.Multiplier);
        Assert.True(cell.Bettable);

        var far = GridCalculator.PriceCell(60_005m, GridCalculator.PerSecond(0.6), now, 7000, start, o);
        Assert.Equal(50m, far.Multiplier);
    }

    [Fact]
    public void CellsStartingSoonerThanTheLeadTimeOrInThePastAreNotBettable()
    {
        var o = new GridOptions { BandWidth = 10, MinLeadSeconds = 10, WindowSeconds = 30 };
        const long now = 1_700_000_005_000; // 5 s into a window; the next starts in 25 s
        var sigma = GridCalculator.PerSecond(0.6);
        var soon = GridCalculator.PriceCell(60_000m, sigma, now, 6001, now + 5_000, o);
        Assert.False(soon.Bettable);
        Assert.Contains("less than 10 s", soon.Reason, StringComparison.Ordinal);
        var past = GridCalculator.PriceCell(60_000m, sigma, now, 6001, now - 60_000, o);
        Assert.False(past.Bettable);
    }

    [Fact]
    public void GridHasEveryBandForEveryWindowAroundThePrice()
    {
        var o = new GridOptions { BandWidth = 25, BandsEachSide = 5, Windows = 8, WindowSeconds = 30 };
        var grid = GridCalculator.Compute(60_010m, 0, GridCalculator.PerSecond(0.6), 1_700_000_000_000, o);
        Assert.Equal(11 * 8, grid.Cells.Count);
        Assert.Contains(grid.Cells, c => c.PriceLow <= 60_010m && c.PriceHigh > 60_010m);
        Assert.All(grid.Cells, c => Assert.InRange(c.Probability, 0, 1));
    }
}
