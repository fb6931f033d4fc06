using Accel.Synthesis.Boards;
using Accel.Synthesis.Yosys;

namespace Accel.Synthesis.Exploration;

/// <summary>A yosys measurement the model is calibrated on: array size, measured usage, the analytic BRAM for the same configuration.</summary>
public sealed record CalibrationSample(int Size, ResourceUsage Measured, double AnalyticBram36, double YosysSeconds, bool FromCache, string ConfigHash);

/// <summary>Model against measurement on one calibration point and one resource.</summary>
public sealed record CalibrationError(int Size, Resource Resource, double Measured, double Predicted, double? LeaveOneOut)
{
    public double RelativeError => Measured == 0 ? (Predicted == 0 ? 0 : double.PositiveInfinity) : (Predicted - Measured) / Measured;
    /// <summary>Error of the model fitted without this point (null with fewer than four points).</summary>
    public double? LeaveOneOutRelativeError => LeaveOneOut is { } p && Measured != 0 ? (p - Measured) / Measured : null;
}

/// <summary>An estimate of an engine's resources from the model.</summary>
public sealed record ResourceEstimate(double Luts, double FlipFlops, double Dsps, double Bram36)
{
    public double Get(Resource r) => r switch
    {
        Resource.Lut => Luts,
        Resource.FlipFlop => FlipFlops,
        Resource.Dsp => Dsps,
        Resource.Bram36 => Bram36,
        _ => throw new ArgumentOutOfRangeException(nameof(r)),
    };
}

/// <summary>
/// The resource model of the design-space exploration. LUTs, flip-flops and DSPs are each
/// <c>a + b R + c R^2</c> in the array size R, fitted by least squares to yosys runs at a few
/// sizes (the PE array grows as R^2, the drain, requantizers and buffer words as R, the
/// controller is constant). Block RAM is not fitted: it is the analytic packing estimate of
/// each buffer (<see cref="BramModel"/>) for the configuration at hand, since buffer depths
/// follow the network and the schedule rather than R alone; the calibration compares it with
/// what yosys built.
/// </summary>
public sealed record ResourceModel(
    IReadOnlyDictionary<Resource, double[]> Coefficients,
    IReadOnlyList<CalibrationSample> Samples,
    IReadOnlyList<CalibrationError> Errors)
{
    public static IReadOnlyList<Resource> Fitted { get; } = [Resource.Lut, Resource.FlipFlop, Resource.Dsp];
    public const int Degree = 2;

    public static ResourceModel Calibrate(IReadOnlyList<CalibrationSample> samples)
    {
        if (samples.Count == 0) throw new SynthesisException("the resource model needs at least one calibration point");
        var coefficients = Fitted.ToDictionary(r => r, r => Fit(samples, r));
        var errors = new List<CalibrationError>();
        foreach (var s in samples)
        {
            foreach (var r in Fitted)
            {
                double? loo = null;
                if (samples.Count > Degree + 1)
                    loo = LeastSquares.Evaluate(Fit(samples.Where(o => o != s).ToList(), r), s.Size);
                errors.Add(new CalibrationError(s.Size, r, s.Measured.Get(r), LeastSquares.Evaluate(coefficients[r], s.Size), loo));
            }
            errors.Add(new CalibrationError(s.Size, Resource.Bram36, s.Measured.Bram36, s.AnalyticBram36, null));
        }
        return new ResourceModel(coefficients, samples, errors);
    }

    private static double[] Fit(IReadOnlyList<CalibrationSample> samples, Resource r) =>
        LeastSquares.FitPolynomial(samples.Select(s => (double)s.Size).ToList(), samples.Select(s => s.Measured.Get(r)).ToList(), Degree);

    /// <summary>Estimated resources of an R x R engine whose buffers pack into <paramref name="bram36"/> block RAMs.</summary>
    public ResourceEstimate Predict(int size, double bram36) => new(
        Math.Max(0, LeastSquares.Evaluate(Coefficients[Resource.Lut], size)),
        Math.Max(0, LeastSquares.Evaluate(Coefficients[Resource.FlipFlop], size)),
        Math.Max(0, LeastSquares.Evaluate(Coefficients[Resource.Dsp], size)),
        bram36);

    /// <summary>Largest |relative error| of the fit on its own calibration points, per resource.</summary>
    public double MaxError(Resource r) => Errors.Where(e => e.Resource == r).Select(e => Math.Abs(e.RelativeError)).DefaultIfEmpty(0).Max();

    /// <summary>Largest |leave-one-out relative error| per resource (null without enough points).</summary>
    public double? MaxLeaveOneOutError(Resource r)
    {
        var v = Errors.Where(e => e.Resource == r && e.LeaveOneOutRelativeError is not null).Select(e => Math.Abs(e.LeaveOneOutRelativeError!.Value)).ToList();
        return v.Count == 0 ? null : v.Max();
    }

    public string Formula(Resource r) => Coefficients.TryGetValue(r, out var c)
        ? $"{c[0]:F1} + {c[1]:F2} R + {c[2]:F3} R^2"
        : "analytic block-RAM packing of each buffer";
}
