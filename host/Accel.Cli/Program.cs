using System.CommandLine;
using Accel.Cli.Commands;

var root = new RootCommand("accel: Fire-engine accelerator co-design kit (network model, int8 golden model, RTL, board driver)")
{
    InfoCommand.Create(),
    QuantizeCommand.Create(),
    GoldenCommand.Create(),
    BenchCommand.Create(),
    GenCommand.Create(),
    CosimCommand.Create(),
    RunCommand.Create(),
    RegressCommand.Create(),
    SynthCommand.Create(),
    DseCommand.Create(),
    CompressCommand.Create(),
    InspectCommand.Create(),
};
return root.Parse(args).Invoke();
