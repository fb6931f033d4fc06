using Spectre.Console;
using System.CommandLine;
using Accel.Compression;
using Accel.Model.Quantized;

namespace Accel.Cli.Commands;

/// <summary>
/// `accel compress MODEL --bits 6 [--density config.json] [--block 16x16] [--huffman] -o model.eie` and
/// `accel compress --from-deep-compression FILE ...`: pruning, int8 weight sharing and EIE
/// encoding into the .eie container (docs/compression.md, docs/formats.md).
/// </summary>
public static class CompressCommand
{
    public static Command Create()
    {
        var model = new Argument<string?>("model") { Description = "an ONNX file (pruned, quantized and shared now) or a .q8 file (shared as is)", Arity = ArgumentArity.ZeroOrOne };
        var fromDeepCompression = new Option<string?>("--from-deep-compression") { Description = "import the original Deep Compression SqueezeNet 1.0 file (compressed_SqueezeNet.net) instead of MODEL" };
        var bits = new Option<int>("--bits") { Description = "codebook index width, 4..8 (2^bits int8 entries per layer, entry 0 the zero weight)", DefaultValueFactory = _ => 8 };
        var density = new Option<string?>("--density") { Description = "JSON file of target densities: {\"default\": d, \"layers\": {name: d}}; default: the SqueezeNet 1.1 profile for SqueezeNet 1.1, else the SqueezeNet paper's Table 1 pattern (docs/compression.md)" };
        var block = new Option<string?>("--block") { Description = "prune by whole pass blocks ROWSxCOLS (e.g. 16x16: 16 input channels x 16 output channels at one tap), largest L2 norm kept, so the engine can skip all-zero passes" };
        var noPrune = new Option<bool>("--no-prune") { Description = "share weights without pruning" };
        var huffman = new Option<bool>("--huffman") { Description = "Huffman-code the index and gap streams (decoded on the host before streaming)" };
        var output = new Option<string>("--output", "-o") { Description = "the .eie file to write", Required = true };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var calibration = new CalibrationOptions();
        var command = new Command("compress", "Prune, share (k-means, int8 codebooks) and EIE-encode a model into a .eie container")
            { model, fromDeepCompression, bits, density, block, noPrune, huffman, output, json };
        calibration.AddTo(command);
        command.SetAction(r => Cli.Run(() =>
        {
            int b = r.GetValue(bits);
            if (b is < EieLayer.MinBits or > EieLayer.MaxBits) throw new UserError($"--bits {b}: expected {EieLayer.MinBits}..{EieLayer.MaxBits}");
            string? modelPath = r.GetValue(model), dcPath = r.GetValue(fromDeepCompression);
            if ((modelPath is null) == (dcPath is null)) throw new UserError("give either MODEL or --from-deep-compression FILE (one of them)");
            PassBlock? passBlock = null;
            if (r.GetValue(block) is string blockText)
            {
                passBlock = PassBlock.TryParse(blockText) ?? throw new UserError($"--block {blockText}: expected ROWSxCOLS with positive numbers, e.g. 16x16");
                if (dcPath is not null) throw new UserError("--block: the Deep Compression file is already pruned; it is imported as is");
                if (r.GetValue(noPrune)) throw new UserError("--block prunes by blocks; it cannot be combined with --no-prune");
            }
            QuantizedModel q;
            if (dcPath is not null)
            {
                if (r.GetValue(density) is not null) throw new UserError("--density: the Deep Compression file is already pruned; it is imported as is");
                var (floatModel, layers) = DeepCompressionFile.Load(dcPath);
                Output.Note($"imported {dcPath}: {layers.Count} layers, {Output.N(layers.Sum(l => (long)l.NonZeros))} non-zero weights of {Output.N(layers.Sum(l => l.Weights))}");
                // One scale per layer keeps each imported float codebook one int8 codebook (docs/compression.md).
                q = ModelSource.FromFloat(dcPath, floatModel).GetQuantized(calibration.Read(r), Output.Note, Compressor.LayerScaleShared(b));
            }
            else
            {
                var source = ModelSource.Open(modelPath!);
                if (source.Quantized is not null)
                {
                    if (r.GetValue(density) is not null || passBlock is not null)
                        throw new UserError($"{(passBlock is not null ? "--block" : "--density")}: {modelPath} is already quantized; prune the float model (ONNX) instead");
                    q = EieModel.Share(source.Quantized, b);
                }
                else
                {
                    if (source.SeededWeights) throw new UserError($"{modelPath}: compress needs real weights (an ONNX or .q8 file)");
                    var config = r.GetValue(noPrune) ? null : r.GetValue(density) is string d ? DensityConfig.Load(d, source.Network) : DensityConfig.Default(source.Network);
                    if (config is not null)
                        Output.Note($"densities: {config.Description}{(passBlock is PassBlock pb ? $", pruned by {pb} pass blocks" : "")}");
                    var pruned = config is null ? source.Float! : Pruning.Prune(source.Float!, config, passBlock);
                    q = ModelSource.FromFloat(modelPath!, pruned).GetQuantized(calibration.Read(r), Output.Note, Compressor.PerChannelShared(b));
                }
            }
            var eie = EieModel.Encode(q, b, r.GetValue(huffman));
            string path = r.GetValue(output)!;
            EieFile.Save(eie, path);
            long bytes = new FileInfo(path).Length;
            long weights = q.Convs.Values.Sum(c => (long)c.Weights.Length);
            long nonZeros = eie.Layers.Values.Sum(l => (long)l.NonZeros);
            if (r.GetValue(json))
                Output.Json(new { output = path, bytes, network = q.Network.Name, bits = b, huffman = eie.Huffman, weights, nonZeros, density = (double)nonZeros / weights });
            else
                Output.Terminal.WriteLine($"wrote {path}: {q.Network.Name}, {b}-bit codebooks{(eie.Huffman ? ", Huffman-coded" : "")}, {Output.N(nonZeros)} of {Output.N(weights)} weights non-zero ({100.0 * nonZeros / weights:F1}%), {Output.N(bytes)} bytes");
        }));
        return command;
    }
}
