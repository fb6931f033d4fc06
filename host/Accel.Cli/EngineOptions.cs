using System.CommandLine;
using Accel.Hardware.Config;

namespace Accel.Cli;

/// <summary>The hardware configuration options shared by the verbs that plan or simulate an engine.</summary>
public sealed class EngineOptions
{
    private readonly Option<int> _rows;
    private readonly Option<int> _cols;
    private readonly Option<int> _accumulatorDepth = new("--accumulator-depth")
        { Description = "accumulator bank depth in output pixels", DefaultValueFactory = _ => new EngineConfig().AccumulatorDepth };
    private readonly Option<double> _clock = new("--clock-mhz") { Description = "target clock in MHz", DefaultValueFactory = _ => new EngineConfig().ClockMHz };
    private readonly Option<int> _inputDepth = new("--input-depth")
        { Description = "input buffer depth in activation words (two slots)", DefaultValueFactory = _ => new EngineConfig().InputDepth };
    private readonly Option<int> _outputDepth = new("--output-depth")
        { Description = "output buffer depth in activation words (two slots)", DefaultValueFactory = _ => new EngineConfig().OutputDepth };
    private readonly Option<int> _weightDepth = new("--weight-depth")
        { Description = "weight buffer depth in array rows (two slots)", DefaultValueFactory = _ => new EngineConfig().WeightDepth };
    private readonly Option<bool> _noDepthwiseUnit = new("--no-depthwise-unit")
        { Description = "build no depthwise unit: depthwise layers run on the array as grouped convolutions" };

    /// <summary>Options with --rows and --cols required.</summary>
    public EngineOptions() : this(null) { }

    /// <summary>Options whose --rows and --cols default to <paramref name="defaultSize"/> (required when null).</summary>
    public EngineOptions(int? defaultSize)
    {
        _rows = new("--rows") { Description = "systolic array rows (2..32; rows = cols)", Required = defaultSize is null };
        _cols = new("--cols") { Description = "systolic array columns (2..32; rows = cols)", Required = defaultSize is null };
        if (defaultSize is { } size)
        {
            _rows.DefaultValueFactory = _ => size;
            _cols.DefaultValueFactory = _ => size;
        }
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_rows);
        command.Options.Add(_cols);
        command.Options.Add(_accumulatorDepth);
        command.Options.Add(_clock);
        command.Options.Add(_inputDepth);
        command.Options.Add(_outputDepth);
        command.Options.Add(_weightDepth);
        command.Options.Add(_noDepthwiseUnit);
    }

    /// <summary>The configuration asked for, validated (a bad field is a <see cref="ConfigException"/> naming it).</summary>
    public EngineConfig Read(ParseResult r) => new EngineConfig
    {
        Rows = r.GetValue(_rows),
        Cols = r.GetValue(_cols),
        AccumulatorDepth = r.GetValue(_accumulatorDepth),
        ClockMHz = r.GetValue(_clock),
        InputDepth = r.GetValue(_inputDepth),
        OutputDepth = r.GetValue(_outputDepth),
        WeightDepth = r.GetValue(_weightDepth),
        DepthwiseUnit = r.GetValue(_noDepthwiseUnit) ? false : null,
    }.Validate();
}
