using Xunit;

namespace Accel.Tests;

/// <summary>Finds command-line tools on PATH (Verilator, yosys), which scripts/setup.sh installs.</summary>
public static class Tools
{
    public static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static string? MissingReason(string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToList();
        return missing.Count == 0 ? null : $"{string.Join(", ", missing)} not found on PATH: run scripts/setup.sh";
    }
}

/// <summary>A fact that needs the named tools; skipped, with the reason, when one is missing.</summary>
public sealed class RequiresToolsFactAttribute : FactAttribute
{
    public RequiresToolsFactAttribute(params string[] tools) => Skip = Tools.MissingReason(tools);
}

/// <summary>A theory that needs the named tools; skipped, with the reason, when one is missing.</summary>
public sealed class RequiresToolsTheoryAttribute : TheoryAttribute
{
    public RequiresToolsTheoryAttribute(params string[] tools) => Skip = Tools.MissingReason(tools);
}
