using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Accel.Cli;

/// <summary>Human output through Spectre.Console; --json output as one indented JSON document on stdout.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Json<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Progress and notes go to stderr so --json stdout stays parseable.</summary>
    public static void Note(string message) => Console.Error.WriteLine(message);

    public static IAnsiConsole Terminal { get; } = CreateTerminal();

    private static IAnsiConsole CreateTerminal()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = InteractionSupport.No,
        });
        // Redirected output (logs, pipes) has no width; tables must not wrap at 80 columns there.
        if (Console.IsOutputRedirected) console.Profile.Width = 160;
        return console;
    }

    /// <summary>Live progress (bars) on stderr, leaving stdout to results.</summary>
    public static IAnsiConsole ProgressTerminal { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static string N(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    public static Table Table(params string[] columns)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in columns) t.AddColumn(new TableColumn(Markup.Escape(c)));
        return t;
    }

    public static void Row(Table t, params object[] cells) => t.AddRow(cells.Select(c => Markup.Escape(c.ToString() ?? "")).ToArray());
}
