using Accel.Model.Data;

namespace Accel.Tests;

/// <summary>Reference inputs shipped with the models in ../shared/data (callers skip when the data is absent).</summary>
public static class ReferenceInputs
{
    /// <summary><c>cat.jpg</c> through the model's reference preprocessing: <c>models/test_data/MODEL/cat_input.f32</c>.</summary>
    public static float[] Cat(string model)
    {
        var bytes = File.ReadAllBytes(SharedData.Find("models", "test_data", model, "cat_input.f32")
            ?? throw new FileNotFoundException($"no cat_input.f32 for '{model}' under ../shared/data/models/test_data"));
        var x = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, x, 0, bytes.Length);
        return x;
    }
}
