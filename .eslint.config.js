// ESLint flat config, passed explicitly (`eslint --config .eslint.config.js`) because the project's
// top level holds no other config files. Syntax-only (not type-aware): the whole tree takes about 15 s
// of CPU, two thirds of it import-x/no-cycle. Formatting is Prettier's job (the "prettier" key in
// package.json), not ESLint's.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import { createNodeResolver, flatConfigs as importX } from "eslint-plugin-import-x";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

// Every folder under src/modules is a module whose public face is its index.ts.
const modules = readdirSync(join(import.meta.dirname, "src", "modules"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * Module boundaries: code outside src/modules/<m>/ may import src/modules/<m>/index.ts (services, loaders, rules) and graphql.ts (its resolvers and
 * object types, apart so that a service importing another module never loads a GraphQL class) and nothing else
 * of that module. One zone a module: its target is every source file outside that module.
 */
const moduleBoundaryZones = modules.map((m) => ({
  target: ["./src/*.ts", "./src/!(modules)/**/*.ts", "./src/modules/*.ts", `./src/modules/!(${m})/**/*.ts`],
  from: `./src/modules/${m}`,
  except: ["./index.ts", "./graphql.ts"],
  message: `import the ${m} module through src/modules/${m}/index.ts or graphql.ts (its public face), not its internals`,
}));

export default defineConfig(
  {
    ignores: [
      "node_modules/**",
      "test/generated/**",
      "src/web/app/generated/**",
      "drizzle/meta/**",
      ".data/**",
      "scratch/**",
      "coverage/**",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  importX.typescript,
  {
    files: ["**/*.ts"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
    },
    settings: {
      // NodeNext: relative imports are written with ".js" and resolve to the ".ts" source.
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".js", ".mjs", ".cjs", ".json", ".node"],
          extensionAlias: { ".js": [".ts", ".js"] },
          conditionNames: ["types", "import", "require", "default"],
        }),
      ],
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // The two structural rules this config exists for.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-restricted-paths": ["error", { zones: moduleBoundaryZones }],

      // Unused names are errors, but a leading underscore marks one kept on purpose
      // (positional callback parameters, destructuring that drops a key).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrors: "none",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],

      // `let server!: X;` captured by a callback before its one assignment is a deliberate pattern
      // (test/helpers/fake-twilio.ts): it cannot become a const.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],

      // TypeScript itself (NodeNext, strict) already reports what these would: an unresolved import
      // or a missing export is a typecheck error. They only cost time here.
      "import-x/no-unresolved": "off",
      "import-x/named": "off",
      "import-x/namespace": "off",
      "import-x/default": "off",
      "import-x/no-named-as-default-member": "off",
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Tests may reach into a module's internals (they test them); only src/ keeps the boundaries.
      "import-x/no-restricted-paths": "off",
      // Tests read untyped JSON responses (`res.json() as any`, `errors: any[]`): typing each one buys
      // nothing over the assertions themselves. src/ has no `any` and keeps the rule.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
