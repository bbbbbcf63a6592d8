import { conflict, notFound } from '@llmp/core';

/** Also what a caller who may not see the knowledge base is told: to them it does not exist. */
export const knowledgeBaseNotFound = (id: string) => notFound({ code: 'knowledge_base_not_found', message: `knowledge base ${id} does not exist` });

/** Names are unique per owner, so this never reveals another user's knowledge base. */
export const knowledgeBaseNameTaken = (name: string) => conflict({ code: 'knowledge_base_exists', message: `a knowledge base named "${name}" already exists` });
