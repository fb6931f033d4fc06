using Spectre.Console;
using System.CommandLine;
using Accel.Compression;
using Accel.Model.Networks;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel inspect model.eie [--block RxC]`: per layer shape, density, codebook use, entries and
/// bytes; with --block, the share of the layer's pass blocks (RxC, see BlockPruning) that are all zero.
/// </summary>
public static class InspectCommand
{
    public sealed record LayerRow(string Name, string Shape, int Bits, double Density, int CodebookUsed, int Entries, int PaddingEntries,
        long EntryBytes, long CodebookBytes, long ParameterBytes, long PointerBytes, long SectionBytes, int? Blocks = null, int? ZeroBlocks = null)
    {
        public double? ZeroBlockFraction => Blocks is int n && n > 0 ? (double)ZeroBlocks!.Value / n : null;
    }

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a compressed model (.eie)" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var block = new Option<string?>("--block") { Description = "also show, per layer, the fraction of ROWSxCOLS pass blocks (input-channel group x output tile x one tap) that are all zero, e.g. 16x16" };
        var command = new Command("inspect", "Show a compressed model's layers: shapes, densities, codebook use, entries and bytes") { file, json, block };
        command.SetAction(r => Cli.Run(() =>
        {
            string path = r.GetValue(file)!;
            PassBlock? passBlock = null;
            if (r.GetValue(block) is string blockText)
                passBlock = PassBlock.TryParse(blockText) ?? throw new UserError($"--block {blockText}: expected ROWSxCOLS with positive numbers, e.g. 16x16");
            var eie = EieFile.Load(path);
            var rows = new List<LayerRow>();
            foreach (var node in eie.Model.Network.Convolutions)
            {
                var conv = (ConvLayer)node.Op;
                var l = eie.Layers[node.Name];
                var s = EieFile.Sizes(eie, node.Name);
                (int Zero, int Total)? zb = passBlock is PassBlock pb
                    ? BlockPruning.ZeroBlocks(eie.Model.Convs[node.Name].Weights, conv.OutChannels, node.Input.Channels / conv.Groups, conv.KernelSize, pb) : null;
                rows.Add(new LayerRow(node.Name, $"{conv.OutChannels}x{node.Input.Channels / conv.Groups}x{conv.KernelSize}x{conv.KernelSize}", l.Bits, l.Density,
                    l.CodebookUsed, l.Entries, l.PaddingEntries, s.Entries, s.Codebook, s.Parameters, s.Pointers, s.Total, zb?.Total, zb?.Zero));
            }
            long fileBytes = new FileInfo(path).Length;
            long weights = eie.Layers.Values.Sum(l => (long)l.Rows * l.RowLength);
            long nonZeros = eie.Layers.Values.Sum(l => (long)l.NonZeros);
            if (r.GetValue(json))
            {
                Output.Json(new
                {
                    file = path, bytes = fileBytes, network = eie.Model.Network.Name, huffman = eie.Huffman, weights, nonZeros,
                    density = (double)nonZeros / weights, block = passBlock?.ToString(), layers = rows,
                });
                return;
            }
            string[] columns = ["layer", "shape", "bits", "density", "codebook used", "entries", "padding", "entry B", "codebook B", "bias/params B", "pointer B", "section B"];
            var t = Output.Table(passBlock is PassBlock b ? [.. columns, $"zero {b} blocks"] : columns);
            foreach (var x in rows)
            {
                object[] cells = [x.Name, x.Shape, x.Bits, $"{100 * x.Density:F1}%", x.CodebookUsed, Output.N(x.Entries), Output.N(x.PaddingEntries),
                    Output.N(x.EntryBytes), Output.N(x.CodebookBytes), Output.N(x.ParameterBytes), Output.N(x.PointerBytes), Output.N(x.SectionBytes)];
                Output.Row(t, passBlock is null ? cells : [.. cells, $"{Output.N(x.ZeroBlocks!.Value)} / {Output.N(x.Blocks!.Value)} ({100 * x.ZeroBlockFraction ?? 0:F1}%)"]);
            }
            object[] total = ["total", "", "", $"{100.0 * nonZeros / weights:F1}%", "", Output.N(rows.Sum(x => (long)x.Entries)), Output.N(rows.Sum(x => (long)x.PaddingEntries)),
                Output.N(rows.Sum(x => x.EntryBytes)), Output.N(rows.Sum(x => x.CodebookBytes)), Output.N(rows.Sum(x => x.ParameterBytes)),
                Output.N(rows.Sum(x => x.PointerBytes)), Output.N(rows.Sum(x => x.SectionBytes))];
            long allBlocks = rows.Sum(x => (long)(x.Blocks ?? 0)), zeroBlocks = rows.Sum(x => (long)(x.ZeroBlocks ?? 0));
            Output.Row(t, passBlock is null ? total : [.. total, $"{Output.N(zeroBlocks)} / {Output.N(allBlocks)} ({(allBlocks > 0 ? 100.0 * zeroBlocks / allBlocks : 0):F1}%)"]);
            Output.Terminal.Write(t);
            Output.Terminal.WriteLine($"{path}: {eie.Model.Network.Name}, {(eie.Huffman ? "Huffman-coded" : "packed")} entries, {Output.N(fileBytes)} bytes in all (layer sections {Output.N(rows.Sum(x => x.SectionBytes))}, model description and header {Output.N(fileBytes - rows.Sum(x => x.SectionBytes))})");
        }));
        return command;
    }
}
