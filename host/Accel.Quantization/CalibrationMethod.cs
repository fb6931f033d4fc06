namespace Accel.Quantization;

/// <summary>How calibration turns observed activations into a tensor's range (docs/arithmetic.md).</summary>
public enum CalibrationMethod
{
    /// <summary>CALIBRATE_MAX: the largest magnitude seen.</summary>
    Max,
    /// <summary>CALIBRATE_MSE: the clip that minimises expected int8 quantization error.</summary>
    Mse,
}
