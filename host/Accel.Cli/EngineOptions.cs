using System.CommandLine;
using Accel.Hardware.Config;

namespace Accel.Cli;

/// <summary>The hardware configuration options shared by the verbs that plan or simulate an engine.</summary>
public sealed class EngineOptions
{
    private readonly Option<int> _rows = new("--rows") { Description = "systolic array rows (2..32; rows = cols)", Required = true };
    private readonly Option<int> _cols = new("--cols") { Description = "systolic array columns (2..32; rows = cols)", Required = true };
    private readonly Option<int> _accumulatorDepth = new("--accumulator-depth")
        { Description = "accumulator bank depth in output pixels", DefaultValueFactory = _ => new EngineConfig().AccumulatorDepth };
    private readonly Option<double> _clock = new("--clock-mhz") { Description = "target clock in MHz", DefaultValueFactory = _ => new EngineConfig().ClockMHz };

    public void AddTo(Command command)
    {
        command.Options.Add(_rows);
        command.Options.Add(_cols);
        command.Options.Add(_accumulatorDepth);
        command.Options.Add(_clock);
    }

    /// <summary>The configuration asked for, validated (a bad field is a <see cref="ConfigException"/> naming it).</summary>
    public EngineConfig Read(ParseResult r) => new EngineConfig
    {
        Rows = r.GetValue(_rows),
        Cols = r.GetValue(_cols),
        AccumulatorDepth = r.GetValue(_accumulatorDepth),
        ClockMHz = r.GetValue(_clock),
    }.Validate();
}
