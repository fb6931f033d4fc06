using Accel.Model.Data;
using Xunit;

namespace Accel.Tests;

/// <summary>A fact that needs ../shared/data; skipped, with the reason, when the data is absent.</summary>
public sealed class RequiresDataFactAttribute : FactAttribute
{
    public RequiresDataFactAttribute()
    {
        if (!SharedData.Available)
            Skip = $"reference data not found: expected ../shared/data beside the repository (or set {SharedData.EnvironmentVariable})";
    }
}

/// <summary>A theory that needs ../shared/data; skipped, with the reason, when the data is absent.</summary>
public sealed class RequiresDataTheoryAttribute : TheoryAttribute
{
    public RequiresDataTheoryAttribute()
    {
        if (!SharedData.Available)
            Skip = $"reference data not found: expected ../shared/data beside the repository (or set {SharedData.EnvironmentVariable})";
    }
}
